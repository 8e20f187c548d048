"""A document -> its Plan: the scenes a render shows and says (`plan_document`).

- Title card: the document's title (front matter, or a lone level-1 heading at the top), its
  subtitle (front matter, or the heading's one short paragraph) and an author/date byline.
- Sections start at headings (and at `---`); each section's blocks become units (`units.py`) and
  each unit its scenes (`planner_scenes.py`): statement, prose, bullets, table, code, image_text,
  full_image, quote, picture. A section that is only a heading is a statement of its title.
- `fits` (the visuals' check, given by the caller: planning never imports the drawing code) decides
  where continuation scenes start; `limits` refuses absurd documents before any speech.
- `add_spoken` fills each scene's `spoken` (what the voice gets) with the normalizer and a lexicon.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.core.threads import check_cancelled
from app.errors import InputError
from app.services.documents import (
    Block,
    Content,
    Document,
    Heading,
    Meta,
    Paragraph,
    Rule,
    escape,
    inline_plain,
    read_document,
)
from app.services.planning.groups import DEFAULT_MAX_SCENE_SECONDS
from app.services.planning.limits import ScriptLimits, check_limits
from app.services.planning.narrate import Narrator, sentence
from app.services.planning.normalize import Lexicon, normalize_with_alignment
from app.services.planning.parts import Fits
from app.services.planning.plan import Item, Plan, Scene
from app.services.planning.planner_scenes import STATEMENT_CHARS, SceneMaker
from app.services.planning.speakable import DEFAULT_WORDS_PER_MINUTE
from app.services.planning.units import section_units


@dataclass
class _Section:
    title: str | None  # inline Markdown
    level: int = 0  # the heading's level; 0: untitled
    blocks: list[Block] = field(default_factory=list)
    say_title: bool = True


def _sections(blocks: tuple[Block, ...]) -> list[_Section]:
    """Every heading and rule starts a section; text before the first one is an untitled section."""
    sections = [_Section(None)]
    for block in blocks:
        if isinstance(block, (Heading, Rule)):
            title = block.text if isinstance(block, Heading) and block.text else None
            level = block.level if isinstance(block, Heading) and title else 0
            if sections[-1].title is None and not sections[-1].blocks:
                sections[-1] = _Section(title, level)
            else:
                sections.append(_Section(title, level))
        else:
            sections[-1].blocks.append(block)
    return [s for s in sections if s.title or s.blocks]


def _title_card(meta: Meta, sections: list[_Section]) -> tuple[Scene | None, list[_Section]]:
    """The title card, if the document has a title, and the sections left to plan.

    The title comes from front matter, or from a level-1 heading that opens the document and is its
    only one (with more sections after it). That heading is then on the card, not said again, and
    its one short paragraph, if that is all it has, is the card's subtitle."""
    first = sections[0] if sections else None
    title = escape(meta.title) if meta.title else None
    subtitle = escape(meta.subtitle) if meta.subtitle else None
    heading_is_title = False
    if first is not None and first.title is not None:
        if title is not None:
            heading_is_title = inline_plain(first.title) == meta.title
        else:
            level_ones = sum(1 for s in sections if s.level == 1)
            heading_is_title = first.level == 1 and level_ones == 1 and len(sections) > 1
            title = first.title if heading_is_title else None
    if title is None:
        return None, sections
    if heading_is_title and first is not None:
        first.say_title = False
        if subtitle is None and _one_short_paragraph(first):
            paragraph = first.blocks[0]
            assert isinstance(paragraph, Paragraph)
            subtitle, first.blocks = paragraph.text, []
        if not first.blocks:
            sections = sections[1:]
    narration = Narrator()
    narration.add(sentence(title))
    if subtitle:
        narration.add(sentence(subtitle))
    byline = [Item(text=escape(x)) for x in (meta.author, meta.date) if x]
    card = Scene(
        id="s0", layout="title", title=title, subtitle=subtitle, items=byline, narration=narration.text
    )
    return card, sections


def _one_short_paragraph(section: _Section) -> bool:
    if len(section.blocks) != 1 or not isinstance(section.blocks[0], Paragraph):
        return False
    return len(inline_plain(section.blocks[0].text)) <= STATEMENT_CHARS


@dataclass(frozen=True)
class PlanLimits:
    """How long a scene may speak and what a document may ask for at most."""

    words_per_minute: int = DEFAULT_WORDS_PER_MINUTE
    max_scene_seconds: float = DEFAULT_MAX_SCENE_SECONDS
    script: ScriptLimits | None = None


def plan_document(
    document: Document | Content, limits: PlanLimits | None = None, *, fits: Fits | None = None
) -> Plan:
    """The Plan of a document: every shown block on some scene, every spoken word in some narration.

    `fits(scene)` says whether a scene fits its slide (None: do not check room, only speech time).
    A document with nothing to say, or one over the `ScriptLimits`, is an `InputError`.
    """
    limits = limits or PlanLimits()
    if limits.words_per_minute <= 0 or not math.isfinite(limits.max_scene_seconds):
        raise ValueError("words_per_minute and max_scene_seconds must be positive")
    content = read_document(document) if isinstance(document, Document) else document
    if fits is not None and limits.script is not None:
        plan_document(content, limits)  # the limits first, cheaply: fitting costs a layout per try
    sections = _sections(content.blocks)
    card, sections = _title_card(content.meta, sections)
    maker = SceneMaker(limits.max_scene_seconds * limits.words_per_minute / 60.0, fits)
    scenes: list[Scene] = [card] if card else []
    for section in sections:
        check_cancelled()
        units = section_units(section.blocks)
        say_title = section.say_title
        if not units and section.title:
            scenes.append(maker.heading_only(section.title))
            continue
        for unit in units:
            scenes.extend(maker.unit(unit, section.title, say_title, alone=len(units) == 1))
            say_title = False
    if not any(any(ch.isalnum() for ch in s.narration) for s in scenes):
        raise InputError(f"{content.name} has no text to read aloud")
    if limits.script is not None:
        check_limits(content.name, scenes, limits.words_per_minute, limits.script)
    title = card.title if card else next((s.title for s in scenes if s.title), None)
    return Plan(title=title, language=content.meta.language, scenes=scenes)


def add_spoken(
    plan: Plan, language: str, lexicon: Lexicon | None = None, languages: Sequence[str] | None = None
) -> Plan:
    """Each scene's `spoken`, where it has none: its narration as the voice should say it (numbers,
    dates, units and abbreviations in words, the lexicon applied first); the plan's `language` set.
    `languages` gives each scene's own (a scene with its own `voice` is said in that voice's
    language). A `spoken` already there (a storyboard's override) is kept."""
    scenes = []
    for n, scene in enumerate(plan.scenes):
        check_cancelled()
        if scene.spoken is None:
            said = languages[n] if languages is not None else language
            spoken = normalize_with_alignment(scene.narration, said, lexicon).spoken
            scene = scene.model_copy(update={"spoken": spoken})
        scenes.append(scene)
    return plan.model_copy(update={"scenes": scenes, "language": plan.language or language})
