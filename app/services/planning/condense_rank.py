"""Sentence importance for condensation: TextRank within a section, centrality in the whole document.

TextRank (Mihalcea and Tarau, 2004) ranks a section's sentences by how much the others resemble them
(cosine of their content-word vectors, PageRank over that graph): the sentences that state what the
section is about come first. Sections are ranked in windows of at most `WINDOW` sentences, so a
100-page section without headings stays linear in its length. Centrality in the document (cosine to
the document's TF-IDF centroid) makes scores comparable across sections, for dropping whole sections
and filling what time is left.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from app.core.threads import check_cancelled

WINDOW = 120  # sentences ranked together
DAMPING = 0.85
ITERATIONS = 30


def textrank(bags: Sequence[Counter[str]]) -> list[float]:
    """Each sentence's TextRank within its window, scaled so the window's mean is 1."""
    scores: list[float] = []
    for start in range(0, len(bags), WINDOW):
        check_cancelled()
        scores.extend(_window_rank(bags[start : start + WINDOW]))
    return scores


def _window_rank(bags: Sequence[Counter[str]]) -> list[float]:
    n = len(bags)
    if n <= 2:
        return [1.0] * n
    vocab: dict[str, int] = {}
    for bag in bags:
        for word in bag:
            vocab.setdefault(word, len(vocab))
    if not vocab:
        return [1.0] * n
    matrix = np.zeros((n, len(vocab)), dtype=np.float32)
    for i, bag in enumerate(bags):
        for word, count in bag.items():
            matrix[i, vocab[word]] = 1.0 + math.log(count)
    norms = np.linalg.norm(matrix, axis=1)
    norms[norms == 0] = 1.0
    unit = matrix / norms[:, None]
    sim = unit @ unit.T
    np.fill_diagonal(sim, 0.0)
    out = sim.sum(axis=1)
    out[out == 0] = 1.0
    transition = sim / out[:, None]  # row-stochastic (an isolated sentence links to nothing)
    rank = np.full(n, 1.0 / n, dtype=np.float32)
    for _ in range(ITERATIONS):
        rank = (1 - DAMPING) / n + DAMPING * (transition.T @ rank)
    mean = float(rank.mean()) or 1.0
    return [float(r) / mean for r in rank]


def centrality(bags: Sequence[Counter[str]]) -> list[float]:
    """Each sentence's cosine to the document's TF-IDF centroid, scaled so the mean is 1."""
    n = len(bags)
    if not n:
        return []
    df: Counter[str] = Counter()
    for bag in bags:
        df.update(bag.keys())
    idf = {w: math.log((1 + n) / (1 + d)) + 1.0 for w, d in df.items()}
    centroid: Counter[str] = Counter()
    vectors: list[dict[str, float]] = []
    for bag in bags:
        check_cancelled()
        vec = {w: (1.0 + math.log(c)) * idf[w] for w, c in bag.items()}
        vectors.append(vec)
        centroid.update(vec)
    c_norm = math.sqrt(sum(v * v for v in centroid.values())) or 1.0
    scores = []
    for vec in vectors:
        v_norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        scores.append(sum(x * centroid[w] for w, x in vec.items()) / (v_norm * c_norm))
    mean = sum(scores) / n or 1.0
    return [s / mean for s in scores]
