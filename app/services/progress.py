"""Progress events of a render: which stage, how far. The CLI's bars and a job's percentage read them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class Stage(str, Enum):
    SCRIPT = "script"
    SPEECH = "speech"
    SLIDES = "slides"
    CAPTIONS = "captions"
    VIDEO = "video"


@dataclass(frozen=True)
class Progress:
    stage: Stage
    done: int
    total: int


ProgressSink = Callable[[Progress], None]
