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


class Probe:
    """Whether items [a, b) fit as a part (labelled as the widest part) in one form: each answer asked
    of the visuals once (a layout pass each), where the bisection, the evening of the parts and the
    count of misfits ask overlapping questions."""

    def __init__(self, fits: Fits, make: Make) -> None:
        self.fits, self.make = fits, make
        self._known: dict[tuple[int, int], bool] = {}

    def __call__(self, a: int, b: int) -> bool:
        known = self._known.get((a, b))
        if known is None:
            known = self._known[a, b] = self.fits(self.make(a, b, PROBE_PART))
        return known


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
        self,
        weights: Sequence[float],
        make: Make,
        starts: list[int] | None = None,
        room: bool = True,
        split: bool = False,
        probe: Probe | None = None,
    ) -> Iterator[tuple[int, int]]:
        """The parts' item ranges, in order (see `parts`); `split`: the caller found that the items
        do not fit on one slide, in any form (not asked again); `probe`: the caller's answers so far."""
        n = len(weights)
        if n == 0:
            yield (0, 0)
            return
        given = starts
        starts = starts or balanced_groups(weights, self.limit)
        one = len(starts) == 1 and not split
        if self.fits is None or not room or (one and self.fits(make(0, n, None))):
            yield from zip(starts, [*starts[1:], n], strict=True)
            return
        probe = probe or Probe(self.fits, make)
        if given is None:  # cut by room and time at once: no extra part where they meet
            yield from self.evened(self.greedy(weights, 0, n, probe), weights, probe)
            return
        for a, b in zip(starts, [*starts[1:], n], strict=True):
            yield from self.evened(self.greedy(weights, a, b, probe, timed=False), weights, probe)

    def greedy(self, weights: Sequence[float], a: int, b: int, probe: Probe, timed: bool = True) -> Ranges:
        """Items [a, b) cut into parts that fit (and, `timed`, are said within the limit), each
        the longest that does."""
        out: Ranges = []
        while a < b:
            end = a + 1
            while timed and end < b and sum(weights[a : end + 1]) <= self.limit:
                end += 1
            end = self.largest_fit(a, end if timed else b, probe)
            out.append((a, end))
            a = end
        return out

    def evened(self, greedy: Ranges, weights: Sequence[float], probe: Probe) -> Ranges:
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
        fitting = all(e - s == 1 or (sum(weights[s:e]) <= self.limit and probe(s, e)) for s, e in even)
        return even if fitting else greedy

    def largest_fit(self, a: int, b: int, probe: Probe) -> int:
        """The largest end in (a, b] whose part fits (at least one item per part, fitting or not:
        a single item is taken unasked)."""
        if b == a + 1 or probe(a, b):
            return b
        lo, hi = a + 1, b - 1  # lo: always taken; hi: the largest end still worth trying
        while lo < hi:
            check_cancelled()
            mid = (lo + hi + 1) // 2
            if probe(a, mid):
                lo = mid
            else:
                hi = mid - 1
        return lo

    def one_form(self, weights: Sequence[float], preferred: Make, other: Make) -> list[Scene]:
        """Parts all drawn in one form (a table: a grid on one slide and cards on the next read as
        two tables), for items that do not fit on one slide in any form (the caller asked): the
        preferred form if every part fits in it at the type floor, else the other, unless fewer parts
        fit in that one (an item too long for either form). The preferred form's parts are counted
        only as far as needed, and resumed (not cut again) when the other form's count is known."""
        preferring = Misfits(self, weights, preferred)
        if preferring.count(stop=1) == 0:
            return made(preferring.ranges, preferred)
        others = Misfits(self, weights, other)
        if others.count() and preferring.count(stop=others.misfits + 1) <= others.misfits:
            return made(preferring.ranges, preferred)
        return made(others.ranges, other)


class Misfits:
    """A form's parts counted as they are cut: their ranges so far, and how many do not fit. A part
    of several items was found to fit; one item is taken, fitting or not, and asked here."""

    def __init__(self, parts: Parts, weights: Sequence[float], make: Make) -> None:
        assert parts.fits is not None
        self.probe = Probe(parts.fits, make)
        self.ranges: Ranges = []
        self.misfits = 0
        self._cut = parts.ranges(weights, make, split=True, probe=self.probe)

    def count(self, stop: int | None = None) -> int:
        """Cut on until `stop` parts do not fit (or to the end); how many do not, so far."""
        for a, b in self._cut:
            self.ranges.append((a, b))
            self.misfits += b == a + 1 and not self.probe(a, b)
            if stop is not None and self.misfits >= stop:
                break
        return self.misfits


def made(ranges: Ranges, make: Make) -> list[Scene]:
    """The scenes of these item ranges, numbered as parts when there are several."""
    total = len(ranges)
    return [make(a, b, (k + 1, total) if total > 1 else None) for k, (a, b) in enumerate(ranges)]
