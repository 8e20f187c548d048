"""Cutting a run of weighted items (sentences, list items, rows) into scenes: the fewest groups within
a budget of speech, then the most even ones, so that no part is a tiny leftover."""

from __future__ import annotations

from collections.abc import Sequence

from app.core.threads import check_cancelled

DEFAULT_MAX_SCENE_SECONDS = 20.0


def _greedy_groups(weights: Sequence[float], cap: float) -> list[int]:
    """Start index of each group; a weightless item always joins the group before it."""
    starts: list[int] = []
    total = 0.0
    for i, w in enumerate(weights):
        if not starts or (total > 0 and total + w > cap):
            starts.append(i)
            total = 0.0
        total += w
    return starts


def balanced_groups(weights: Sequence[float], cap: float) -> list[int]:
    """The fewest groups within `cap`, then the smallest largest group: no tiny leftover part."""
    starts = _greedy_groups(weights, cap)
    if len(starts) <= 1:
        return starts
    hi = cap
    lo = min(max(weights), hi)
    for _ in range(40):
        check_cancelled()
        mid = (lo + hi) / 2
        if len(_greedy_groups(weights, mid)) <= len(starts):
            hi = mid
        else:
            lo = mid
    return _greedy_groups(weights, hi)
