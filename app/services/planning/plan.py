"""The Plan: what a render shows and says, scene by scene (DRAFT by the lead; path in the repo:
app/services/planning/plan.py).

It is the one model between reading and rendering: `t2v plan --json` prints it, a storyboard file
holds it, the renderer consumes it, the web page's storyboard editor and an LLM produce or edit it.
Pydantic (frozen) so that it validates input from files and the API with one message per bad field
(with its JSON path) and publishes a JSON Schema (`t2v plan --schema`).

Rules:
- `narration` is ONE string per scene: the words the voice says, as written (captions show them).
  No other field of a scene is named like narration/speech/spoken, except `spoken` (issue 14: the
  exact text the voice gets after normalization; None until computed, derived, never hand-edited
  unless the user wants to override).
- Shown text is inline Markdown (`**bold**`, `*italic*`, `` `code` ``): friendly to edit by hand, and
  the drawing code parses it into styled runs. Links are shown as their text.
- `beats` tie the narration to what is shown: beat i says "from narration character `at` on, the
  voice is speaking about item `item`" (None: nothing in particular). The drawer makes one still per
  distinct focus state; the renderer times each beat from the word timings. Beats are optional in
  files: when missing, or stale after an edit (offsets past the end, not increasing, a table row
  not said in its own stretch), they are derived again from the items and the narration
  (`beats_of.usable_beats`, when the scene is rendered).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PLAN_VERSION = 1

Layout = Literal[
    "title",  # title card: document title, subtitle, optional author/date line
    "statement",  # heading + short text set large
    "prose",  # a paragraph, shown sentence by sentence (the sentence being read, large)
    "bullets",  # bullet or numbered list, the spoken item highlighted
    "image_text",  # image and text side by side (stacked on 9:16)
    "full_image",  # full-bleed image with a caption band (alt text)
    "quote",  # a quotation with attribution
    "table",  # a table drawn as a table
    "code",  # highlighted code (never read aloud)
    "picture",  # a given picture is the whole slide (PPTX/PDF page, a provider's photo)
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Item(_Model):
    """One shown unit: a bullet, a numbered item, a sentence of prose, a quote line."""

    text: str = Field(description="inline Markdown: **bold**, *italic*, `code`")
    marker: str | None = Field(default=None, description='"1.", "2." numbered; "•" bullet; None prose')
    level: int = Field(default=0, ge=0, le=4, description="list nesting depth")


class Beat(_Model):
    at: int = Field(ge=0, description="character offset in `narration` where this beat starts")
    item: int | None = Field(default=None, ge=0, description="index into `items` being spoken")


class ImageRef(_Model):
    path: str = Field(description="file path (relative: to the document's / storyboard's folder) or URL")
    alt: str = ""
    fit: Literal["contain", "cover"] = "contain"


TableForm = Literal["grid", "cards"]


class Table(_Model):
    header: list[str]
    rows: list[list[str]]
    align: list[Literal["left", "center", "right"]] = []
    form: TableForm | None = Field(
        default=None,
        description="'grid' or 'cards' (a card per row); None: a grid when its columns fit, else cards."
        " The planner sets it on the parts of a table split across slides, so they all look alike",
    )
    rows_per_part: int | None = Field(
        default=None,
        ge=1,
        description="the most rows any part of a split table holds: each part's type is sized as if it"
        " held that many, so the parts share one size (the planner sets it)",
    )


class Code(_Model):
    text: str
    language: str | None = None


class Scene(_Model):
    id: str = Field(description="stable within the plan, e.g. 's3' or 's3.2' for a continuation")
    layout: Layout
    title: str | None = None
    subtitle: str | None = None  # title cards; a quote's attribution
    part: tuple[int, int] | None = Field(default=None, description="(2, 3): continuation slide 2 of 3")
    items: list[Item] = []
    image: ImageRef | None = None
    table: Table | None = None
    code: Code | None = None
    narration: str = Field(description="the words the voice says, as written (captions show them)")
    spoken: str | None = Field(default=None, description="what the voice gets after normalization")
    beats: list[Beat] = []
    voice: str | None = Field(default=None, description="this scene's voice spec, if not the plan's")
    pause_after: float | None = Field(default=None, ge=0, le=10, description="seconds after the scene")
    visual: str | None = Field(
        default=None,
        max_length=200,
        description="this scene's picture providers by name ('slides', 'local'), among the render's",
    )
    keywords: list[str] = Field(default=[], max_length=12, description="what to search pictures for")


class Plan(_Model):
    version: int = PLAN_VERSION
    title: str | None = None
    language: str | None = Field(default=None, description="BCP-47-ish code, e.g. vi, en")
    scenes: list[Scene]
