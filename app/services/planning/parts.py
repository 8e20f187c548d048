"""Cutting a unit's items into parts (continuation slides) at item boundaries only: first by speech
time (about `max_scene_seconds` a part, balanced), then by what fits on the slide at or above the
type floor (`fits`, asked of the visuals; the largest prefix that fits, by bisection)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from app.core.threads import check_cancelled
from app.services.planning.groups import balanced_groups
from app.services.planning.plan import Scene

Fits = Callable[[Scene], bool]
Part = tuple[int, int] | None
Make = Callable[[int, int, Part], Scene]  # the scene of items [a, b) as part (k, n), or whole (None)
Ranges = list[tuple[int, int]]
PROBE_PART = (9, 9)  # the widest part label, for asking whether a part fits


@dataclass
class Parts:
    """How a unit's items are cut into parts; `fits` None: nothing is checked for room."""

    limit: float  # speech weight of one scene (words at the speaking rate in max_scene_seconds)
    fits: Fits | None = None

    def parts(
        self, weights: Sequence[float], make: Make, starts: list[int] | None = None, room: bool = True
    ) -> list[Scene]:
        """Cut items [0, n) into parts by speech time (at `starts`, if given), then by room (unless
        `room` is False: prose shows one sentence at a time, so fewer sentences would not fit
        better); make each part's scene."""
        return made(list(self.ranges(weights, make, starts, room)), make)

    def ranges(
        self, weights: Sequence[float], make: Make, starts: list[int] | None = None, room: bool = True
    ) -> Iterator[tuple[int, int]]:
        """The parts' item ranges, in order (see `parts`)."""
        n = len(weights)
        if n == 0:
            yield (0, 0)
            return
        given = starts
        starts = starts or balanced_groups(weights, self.limit)
        whole = self.fits is None or not room or (len(starts) == 1 and self.fits(make(0, n, None)))
        if not whole and given is None:  # cut by room and time at once: no extra part where they meet
            yield from self.evened(self.greedy(weights, 0, n, make), weights, make)
            return
        for a, b in zip(starts, [*starts[1:], n], strict=True):
            if whole:
                yield (a, b)
            else:
                yield from self.evened(self.greedy(weights, a, b, make, timed=False), weights, make)

    def greedy(self, weights: Sequence[float], a: int, b: int, make: Make, timed: bool = True) -> Ranges:
        """Items [a, b) cut into parts that fit (and, `timed`, are said within the limit), each
        the longest that does."""
        out: Ranges = []
        while a < b:
            end = a + 1
            while timed and end < b and sum(weights[a : end + 1]) <= self.limit:
                end += 1
            end = self.largest_fit(a, end if timed else b, make)
            out.append((a, end))
            a = end
        return out

    def evened(self, greedy: Ranges, weights: Sequence[float], make: Make) -> Ranges:
        """As many parts as `greedy`, with item counts as even as fit and are said within the limit
        (3, 2, 2 rather than 3, 3, 1: a last row alone on a slide would be set larger)."""
        count = len(greedy)
        a, b = greedy[0][0], greedy[-1][1]
        if count < 2 or max(e - s for s, e in greedy) - min(e - s for s, e in greedy) < 2:
            return greedy
        base, extra = divmod(b - a, count)
        even: Ranges = []
        for k in range(count):
            end = a + base + (k < extra)
            even.append((a, end))
            a = end
        assert self.fits is not None
        fitting = all(
            e - s == 1 or (sum(weights[s:e]) <= self.limit and self.fits(make(s, e, PROBE_PART)))
            for s, e in even
        )
        return even if fitting else greedy

    def largest_fit(self, a: int, b: int, make: Make) -> int:
        """The largest end in (a, b] whose part fits (at least one item per part, fitting or not)."""
        assert self.fits is not None
        if self.fits(make(a, b, PROBE_PART)):
            return b
        lo, hi = a + 1, b - 1  # lo: always taken; hi: the largest end still worth trying
        while lo < hi:
            check_cancelled()
            mid = (lo + hi + 1) // 2
            if self.fits(make(a, mid, PROBE_PART)):
                lo = mid
            else:
                hi = mid - 1
        return lo

    def one_form(self, weights: Sequence[float], preferred: Make, other: Make) -> list[Scene]:
        """Parts all drawn in one form (a table: a grid on one slide and cards on the next read as
        two tables): the preferred form if every part fits in it at the type floor, else the other,
        unless fewer parts fit in that one (an item too long for either form)."""
        ranges, misfits = self.misfits(weights, preferred, stop=1)
        if misfits == 0:
            return made(ranges, preferred)
        other_ranges, other_misfits = self.misfits(weights, other)
        if other_misfits:
            ranges, misfits = self.misfits(weights, preferred, stop=other_misfits + 1)
            if misfits <= other_misfits:
                return made(ranges, preferred)
        return made(other_ranges, other)

    def misfits(self, weights: Sequence[float], make: Make, stop: int | None = None) -> tuple[Ranges, int]:
        """The parts' ranges and how many parts do not fit, counting stopped at `stop` (the ranges
        then unfinished). A part of several items was found to fit; one item is taken, fitting or not."""
        assert self.fits is not None
        ranges: Ranges = []
        misfits = 0
        for a, b in self.ranges(weights, make):
            ranges.append((a, b))
            misfits += b == a + 1 and not self.fits(make(a, b, PROBE_PART))
            if stop is not None and misfits >= stop:
                break
        return ranges, misfits


def made(ranges: Ranges, make: Make) -> list[Scene]:
    """The scenes of these item ranges, numbered as parts when there are several."""
    total = len(ranges)
    return [make(a, b, (k + 1, total) if total > 1 else None) for k, (a, b) in enumerate(ranges)]
