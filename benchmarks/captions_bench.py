"""Caption segmentation time against text size (issue 15): near-linear, whatever the text's shape.

One scene, one sentence with no full stop (the dynamic program's worst case: nothing cuts it short),
at 6,000, 60,000 and 600,000 characters: English words, Chinese characters (a piece each), and a
single word as long as the text (hard-broken). Word times at about 15 characters a second.

    make bench-captions   # or: .venv/bin/python benchmarks/captions_bench.py
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.services.captions import build_cues  # noqa: E402
from app.services.models import WordTiming  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
SIZES = (6_000, 60_000, 600_000)
_TEXT = "the quick caption follows a voice and of to with in for every line break rule"
WORDS = _TEXT.split()


def english(size: int) -> list[WordTiming]:
    words, n, t = [], 0, 0.0
    while n < size:
        text = WORDS[len(words) % len(WORDS)]
        step = (len(text) + 1) / 15
        words.append(WordTiming(text, t, t + step))
        t += step
        n += len(text) + 1
    return words


def chinese(size: int) -> list[WordTiming]:
    return [WordTiming(("今天天气很好我们一起去公园散步吧" * (size // 16 + 1))[:size], 0.0, size / 5)]


def one_word(size: int) -> list[WordTiming]:
    return [WordTiming("x" * size, 0.0, size / 15)]


KINDS: dict[str, Callable[[int], list[WordTiming]]] = {
    "English words": english,
    "Chinese": chinese,
    "one long word": one_word,
}


def main() -> None:
    rows = []
    for kind, make in KINDS.items():
        for size in SIZES:
            words = make(size)
            start = time.perf_counter()
            cues = build_cues([words], words[-1].end + 1)
            elapsed = time.perf_counter() - start
            rows.append((kind, size, len(cues), elapsed))
            print(rows[-1], flush=True)
    lines = [
        "# Caption segmentation (issue 15)",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}. "
        "Command: `make bench-captions`. One scene holding one sentence without a full stop; one run each.",
        "",
        "| text | characters | cues | time (s) | time per 10,000 characters (s) |",
        "|---|---|---|---|---|",
    ]
    for kind, size, count, elapsed in rows:
        lines.append(f"| {kind} | {size:,} | {count:,} | {elapsed:.2f} | {elapsed / size * 10_000:.3f} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "captions.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
