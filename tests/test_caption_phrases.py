"""Caption cues and lines do not part fixed phrases ("more than", "such as") or a number from its
unit or its noun ("one hundred", "10 km"): the demo showed a burned cue "than one hundred;"."""

from __future__ import annotations

import pytest

from app.services.captions import build_cues
from app.services.captions.linebreak import (
    COUNTED_PENALTY,
    NUMBER_PENALTY,
    PHRASE_PENALTY,
    break_cost,
    break_lines,
)
from app.services.models import WordTiming
from tests.test_captions import timed


@pytest.mark.parametrize(
    ("before", "after", "cost"),
    [
        ("more", "than", PHRASE_PENALTY),  # "than" opens a phrase elsewhere: no bonus here
        ("less", "than", PHRASE_PENALTY),
        ("such", "as", PHRASE_PENALTY),
        ("up", "to", PHRASE_PENALTY),
        ("one", "hundred", NUMBER_PENALTY),
        ("two", "thousand", NUMBER_PENALTY),
        ("10", "km", PHRASE_PENALTY),
        ("100", "MB", PHRASE_PENALTY),
        ("30", "minutes", PHRASE_PENALTY),
        ("100", "languages", COUNTED_PENALTY),  # less than a line ending on "about" (5)
        ("$5", "bills", COUNTED_PENALTY),
        ("more,", "than", -1.5),  # a comma ends the phrase: a good break
        ("hundred;", "where", -1.5),
        ("2020", "and", -0.7),  # a number, then a conjunction: a clause may start
        ("than", "one", 2.0),  # "more than | one hundred" is the least bad inside such a run
    ],
)
def test_break_costs(before: str, after: str, cost: float) -> None:
    assert break_cost(WordTiming(before, 0, 1), WordTiming(after, 1, 2)) == pytest.approx(cost)


DEMO = "Voice: espeak-ng; Languages: more than one hundred; Where it runs: on your computer."


@pytest.mark.parametrize("width", [12, 14, 16, 18, 20, 24, 30])
def test_burned_lines_of_the_demo_keep_more_than_one_hundred_together(width: int) -> None:
    lines = break_lines(timed(DEMO), width, 2.625)
    assert " ".join(lines) == DEMO
    for line in lines:
        assert not line.startswith(("than", "hundred")), lines
        assert not line.endswith(("more", "one")), lines


@pytest.mark.parametrize(
    ("text", "together"),
    [
        (DEMO, "more than one hundred;"),
        ("It costs less than five dollars and takes up to thirty minutes for most people.", "less than five"),
        ("Tools such as pip and uv install packages, and more than two thousand people use them.", "such as"),
        ("The route is a long and pleasant 10 km walk through the old town and back again.", "10 km"),
    ],
)
def test_cues_and_their_lines_keep_phrases_whole(text: str, together: str) -> None:
    cues = build_cues([timed(text)], 60.0)
    assert " ".join(line for c in cues for line in c.lines) == text
    assert any(together in line for c in cues for line in c.lines), [c.lines for c in cues]
