"""Fitting a plan to a target duration, offline: extractive condensation (`--duration`, `--max-duration`).

The narration is cut to the time at the chosen rate: each section's sentences are ranked (TextRank
within the section, centrality in the document, `condense_rank`), every section's first point is
kept (a heading is shown on its slide, not read), examples and asides go first, and the time is
shared between sections by their length; whatever is left goes to the best remaining sentences of
the whole document. Then pauses are shortened if the estimate is still over. Estimates are checked
against the target and the budget corrected a few times, so the result lands within a few percent
of the estimate; `SPEECH_PACE` ties the estimate to the offline voice's real pace per language.

Slides summarize while the narration explains: condensed text scenes show short key points (a few
words from each kept sentence, `condense_text.key_point`) with a beat per sentence, the narration
speaks the full sentences. Tables and code are details: left out when condensing. A document that
is already shorter than the target is left whole, with an honest note.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from app.core.threads import check_cancelled
from app.services.models import Pauses
from app.services.planning.condense_rank import centrality, textrank
from app.services.planning.condense_text import (
    content_words,
    is_aside,
    key_point,
    plain,
    same_words,
)
from app.services.planning.condense_time import plan_language, plan_seconds, scene_seconds, speech_seconds
from app.services.planning.plan import Beat, Item, Layout, Plan, Scene
from app.services.planning.sentences import split_sentences
from app.services.planning.speakable import CLOSERS, DEFAULT_WORDS_PER_MINUTE

TOLERANCE = 0.10  # the promise: within +/- 10 % of the target
AIM = 0.03  # the aim, inside the promise
MIN_PAUSE = 0.3  # seconds between scenes, when pauses are shortened to fit
MAX_POINTS = 5  # key points on one condensed slide
MAX_SCENE_SECONDS = 25.0
ASIDE_WEIGHT = 0.3
QUESTION_WEIGHT = 0.5
SHORT_WEIGHT = 0.4  # a sentence of under 3 content words says little ('Yes.')
FILL_FLOOR = 0.5  # what is left of the time goes only to sentences scoring at least this
DETAIL_LAYOUTS = ("table", "code")
SHOWN_LAYOUTS = ("picture", "full_image")  # the picture is the slide: it keeps it, narration cut


@dataclass(frozen=True)
class DurationTarget:
    """`--duration` (`fit`: condense to about this long) or `--max-duration` (only if longer)."""

    seconds: float
    fit: bool = True


@dataclass(frozen=True)
class SentenceFate:
    scene: str  # the source scene's id
    text: str
    kept: bool
    why: str  # "first point", "ranked", "aside", "heading (on the slide)", "time", "table", "code"


@dataclass(frozen=True)
class Condensed:
    plan: Plan
    target: DurationTarget
    before: float  # estimated seconds, whole plan
    after: float  # estimated seconds, condensed plan
    sentences: tuple[SentenceFate, ...] = ()
    note: str | None = None  # e.g. the document is shorter than the target

    def report(self) -> list[str]:
        """What `t2v plan` shows: the estimate, then each sentence kept (+) or dropped (-)."""
        head = f"target {clock(self.target.seconds)}: {clock(self.before)} -> {clock(self.after)} (estimated)"
        lines = [head] + ([self.note] if self.note else [])
        for s in self.sentences:
            lines.append(f"{'+' if s.kept else '-'} [{s.scene}] {s.text.strip()}  ({s.why})")
        return lines


def clock(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m}:{s:02d}"


@dataclass
class _Unit:
    """One sentence of the narration, with what the selection needs to know about it."""

    section: int
    scene: int
    text: str
    seconds: float
    score: float = 1.0
    aside: bool = False
    heading: bool = False
    first: bool = False
    kept: bool = False
    why: str = "time"
    bag: Counter[str] = field(default_factory=Counter)


def _section_key(scene: Scene) -> str:
    return scene.id.split(".")[0]


def _same_section(before: Scene | None, scene: Scene) -> bool:
    """A continuation ('s3.2' after 's3'), or the next scene under the same heading."""
    if before is None:
        return False
    return _section_key(before) == _section_key(scene) or (
        bool(scene.title) and scene.title == before.title and before.layout != "title"
    )


def _units(plan: Plan, language: str, rate: int) -> list[_Unit]:
    units: list[_Unit] = []
    section, last = -1, None
    for i, scene in enumerate(plan.scenes):
        check_cancelled()
        if not _same_section(last, scene):
            section += 1
        last = scene
        if scene.layout == "title" or scene.layout in DETAIL_LAYOUTS:
            continue
        for sentence in _heading_apart(split_sentences(scene.narration), scene.title):
            if not sentence.strip():
                continue
            unit = _Unit(section, i, sentence.strip(), speech_seconds(sentence, language, rate))
            unit.heading = bool(scene.title) and same_words(sentence, scene.title or "")
            unit.aside = is_aside(sentence, language)
            unit.bag = Counter(content_words(plain(sentence), language))
            units.append(unit)
    _score(units)
    return units


def _heading_apart(sentences: list[str], title: str | None) -> list[str]:
    """The title read first as a sentence of its own, even where the splitter kept it with the next
    one ("What it does. t2v turns..." does not end before a lower-case word)."""
    if not sentences or not title:
        return sentences
    first, heading = sentences[0], plain(title).strip()
    cut = len(heading) + 1
    if heading and first[:cut].lower() == heading.lower() + "." and first[cut:].strip():
        return [first[:cut] + " ", first[cut:].lstrip(), *sentences[1:]]
    return sentences


def _score(units: list[_Unit]) -> None:
    central = centrality([u.bag for u in units])
    by_section: dict[int, list[int]] = {}
    for i, u in enumerate(units):
        by_section.setdefault(u.section, []).append(i)
    for members in by_section.values():
        ranks = textrank([units[i].bag for i in members])
        for i, rank in zip(members, ranks, strict=True):
            u = units[i]
            u.score = 0.6 * rank + 0.4 * central[i]
            if u.aside:
                u.score *= ASIDE_WEIGHT
            if u.text.rstrip(CLOSERS).endswith(("?", "？")):  # a rhetorical question leads, it says little
                u.score *= QUESTION_WEIGHT
            if sum(u.bag.values()) < 3:
                u.score *= SHORT_WEIGHT
        firsts = [i for i in members if not units[i].heading]
        plain_firsts = [i for i in firsts if not units[i].aside] or firsts
        if plain_firsts:
            units[plain_firsts[0]].first = True


def _select(units: list[_Unit], budget: float) -> None:
    """Mark the kept sentences: first points, then each section's best in its share, then the best
    of what is left, all within `budget` seconds of speech."""
    for u in units:
        u.kept, u.why = False, "time"
        if u.heading:
            u.why = "heading (on the slide)"
        elif not u.bag:
            u.why = "nothing to say"
        elif u.aside:
            u.why = "aside"
    firsts = [u for u in units if u.first]
    spent = sum(u.seconds for u in firsts)
    chosen = {id(u) for u in firsts}
    # too little time: whole sections go, the least said per second first (the opening section last)
    for u in sorted(firsts, key=lambda u: (u.section == 0, u.score / max(u.seconds, 1.0))):
        if spent <= budget:
            break
        chosen.discard(id(u))
        spent -= u.seconds
    for u in units:
        if id(u) in chosen:
            u.kept, u.why = True, "first point"
    left = budget - spent
    open_sections = {u.section for u in units if u.kept}  # a section without its first point is out
    rest = [
        u
        for u in units
        if not u.kept and not u.heading and u.bag and u.section in open_sections and u.score >= FILL_FLOOR
    ]
    total_rest = sum(u.seconds for u in rest) or 1.0
    sections: dict[int, list[_Unit]] = {}
    for u in rest:
        sections.setdefault(u.section, []).append(u)
    pool = 0.0
    for members in sections.values():
        share = left * sum(u.seconds for u in members) / total_rest
        for u in sorted(members, key=lambda u: -u.score):
            if u.seconds <= share:
                u.kept, u.why = True, "ranked"
                share -= u.seconds
        pool += share
    for u in sorted((u for u in rest if not u.kept), key=lambda u: -u.score):
        if u.seconds <= pool:
            u.kept, u.why = True, "ranked"
            pool -= u.seconds


def _text_scene(
    source: Scene, ident: str, kept: list[_Unit], language: str, part: tuple[int, int] | None
) -> Scene:
    narration, beats, items = "", list[Beat](), list[Item]()
    for u in kept:
        if narration:
            narration += " "
        point = key_point(u.text, language)
        if point not in (i.text for i in items):
            items.append(Item(text=point, marker="•"))
        beats.append(Beat(at=len(narration), item=len(items) - 1))
        narration += u.text
    image = (
        source.image
        if source.layout == "image_text" and part in (None, (1, part[1] if part else 1))
        else None
    )
    layout: Layout = "image_text" if image else ("bullets" if len(items) > 1 else "statement")
    return Scene(
        id=ident,
        layout=layout,
        title=source.title,
        part=part,
        items=items,
        image=image,
        narration=narration,
        beats=beats,
        voice=source.voice,
        pause_after=source.pause_after,
    )


def _chunks(kept: list[_Unit]) -> list[list[_Unit]]:
    out: list[list[_Unit]] = [[]]
    for u in kept:
        if out[-1] and (
            len(out[-1]) >= MAX_POINTS or sum(x.seconds for x in out[-1]) + u.seconds > MAX_SCENE_SECONDS
        ):
            out.append([])
        out[-1].append(u)
    return [c for c in out if c]


def _build(plan: Plan, units: list[_Unit], language: str) -> Plan:
    """The condensed plan: title scenes as they were, shown pictures with their kept narration, the
    text of each section as key-point slides."""
    by_scene: dict[int, list[_Unit]] = {}
    for u in units:
        if u.kept:
            by_scene.setdefault(u.scene, []).append(u)
    scenes: list[Scene] = []
    i = 0
    while i < len(plan.scenes):
        scene = plan.scenes[i]
        if scene.layout == "title":
            scenes.append(scene)
            i += 1
            continue
        if scene.layout in SHOWN_LAYOUTS:
            kept = by_scene.get(i, [])
            if kept:
                scenes.append(
                    scene.model_copy(
                        update={"narration": " ".join(u.text for u in kept), "beats": [], "spoken": None}
                    )
                )
            i += 1
            continue
        # a run of text scenes of one section (detail scenes in it are left out)
        key, kept, first = _section_key(scene), [], scene
        while i < len(plan.scenes) and plan.scenes[i].layout not in ("title", *SHOWN_LAYOUTS):
            if plan.scenes[i] is not first and not _same_section(plan.scenes[i - 1], plan.scenes[i]):
                break
            kept.extend(by_scene.get(i, []))
            i += 1
        chunks = _chunks(kept)
        for k, chunk in enumerate(chunks):
            part = (k + 1, len(chunks)) if len(chunks) > 1 else None
            ident = key if k == 0 else f"{key}.{k + 1}"
            scenes.append(_text_scene(first, ident, chunk, language, part))
    if not scenes:
        scenes = [plan.scenes[0]]
    return plan.model_copy(update={"scenes": scenes})


def _with_pauses(plan: Plan, pause: float) -> Plan:
    return plan.model_copy(
        update={"scenes": [s.model_copy(update={"pause_after": pause}) for s in plan.scenes]}
    )


def condense_plan(
    plan: Plan, target: DurationTarget, rate: int = DEFAULT_WORDS_PER_MINUTE, pauses: Pauses | None = None
) -> Condensed:
    """The plan fitted to `target` (see the module's docstring); `pauses` are the render's."""
    pauses = pauses or Pauses()
    language = plan_language(plan)
    before = plan_seconds(plan, rate, pauses)
    goal = target.seconds
    if before <= goal * (1 + AIM):
        note = None
        if target.fit and before < goal * (1 - TOLERANCE):
            note = (
                f"the document reads in about {clock(before)} at {rate} words per minute, shorter than "
                f"the {clock(goal)} asked for; it is rendered whole (nothing is padded)"
            )
        return Condensed(plan, target, before, before, (), note)
    units = _units(plan, language, rate)
    titles = [s for s in plan.scenes if s.layout == "title"]
    fixed = sum(scene_seconds(s, language, rate, pauses) for s in titles)
    budget = max(0.0, goal - fixed)
    best: tuple[float, Plan, tuple[SentenceFate, ...]] | None = None
    for _ in range(8):  # the pauses and the slides' count depend on what is kept: correct and retry
        check_cancelled()
        _select(units, budget)
        condensed = _build(plan, units, language)
        estimate = plan_seconds(condensed, rate, pauses)
        if best is None or abs(estimate - goal) < abs(best[0] - goal):
            fates = tuple(SentenceFate(plan.scenes[u.scene].id, u.text, u.kept, u.why) for u in units)
            best = (estimate, condensed, fates)
        if abs(estimate - goal) <= goal * AIM / 2:
            break
        budget = max(0.0, budget - (estimate - goal))
    assert best is not None
    estimate, condensed, fates = best
    if estimate > goal * (1 + AIM) and len(condensed.scenes) > 1:  # then shorter pauses
        gaps = len(condensed.scenes) - 1
        shorter = max(MIN_PAUSE, pauses.scene - (estimate - goal) / gaps)
        condensed = _with_pauses(condensed, round(shorter, 2))
        estimate = plan_seconds(condensed, rate, pauses)
    note = None
    if estimate > goal * (1 + TOLERANCE):
        note = (
            f"even the first point of every section reads in about {clock(estimate)}, over the "
            f"{clock(goal)} asked for"
        )
    details = tuple(
        SentenceFate(s.id, f"({s.layout})", False, "details: tables and code are left out")
        for s in plan.scenes
        if s.layout in DETAIL_LAYOUTS
    )
    return Condensed(condensed, target, before, estimate, fates + details, note)


def fit_duration(
    plan: Plan,
    duration: float | None,
    max_duration: float | None,
    rate: int = DEFAULT_WORDS_PER_MINUTE,
    pauses: Pauses | None = None,
) -> Condensed | None:
    """The render options' target (`duration` or `max_duration`, seconds) applied; None: none set."""
    if duration is not None:
        return condense_plan(plan, DurationTarget(duration, fit=True), rate, pauses)
    if max_duration is not None:
        return condense_plan(plan, DurationTarget(max_duration, fit=False), rate, pauses)
    return None
