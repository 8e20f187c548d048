"""What a slide shows when the captions are burned in (issue 15.3): the captions already carry the
sentence being spoken, so a slide that also set that sentence large would say it twice at once.

With captions burned, prose text (prose and statement scenes, and the sentences beside an image)
is shown as key points, the way a condensed plan shows them: a few words of each sentence
(`condense_text.key_point`) as bullets, the one being said highlighted (one key point alone is a
statement). A short sentence that is its own key point is left to the captions when the scene has
a title to show (a longer one with no phrase to cut it at is shown whole: the slide keeps its
points). The narration is unchanged; only what is shown differs. Lists, tables, code, quotes and
pictures are shown as they are.
"""

from __future__ import annotations

from app.core.threads import check_cancelled
from app.services.planning.condense_text import key_point, same_words, short_sentence
from app.services.planning.narrate import md_sentences, sentence
from app.services.planning.plan import Beat, Item, Layout, Plan, Scene

PROSE_LAYOUTS = frozenset({"prose", "statement", "image_text"})
POINT = "•"


def for_burned_captions(plan: Plan, language: str | None) -> Plan:
    """The plan with each prose scene's shown sentences replaced by their key points."""
    scenes = []
    for scene in plan.scenes:
        check_cancelled()
        scenes.append(_key_points(scene, language))
    return plan.model_copy(update={"scenes": scenes})


def _key_points(scene: Scene, language: str | None) -> Scene:
    if scene.layout not in PROSE_LAYOUTS or not scene.items:
        return scene
    if any(item.marker for item in scene.items):  # a list beside an image, a slide's bullets
        return scene
    if scene.layout == "statement":
        scene = _as_sentences(scene)
    items: list[Item] = []
    index: dict[int, int] = {}  # shown item -> its key point
    for n, item in enumerate(scene.items):
        point = key_point(item.text, language)
        if scene.title and same_words(point, item.text) and short_sentence(item.text, language):
            continue  # a short sentence is its own key point: the captions show it, the slide need not
        if not items or items[-1].text != point:  # the pieces of one long sentence: one point
            items.append(Item(text=point, marker=POINT))
        index[n] = len(items) - 1
    beats = [
        b.model_copy(update={"item": index.get(b.item) if b.item is not None else None}) for b in scene.beats
    ]
    layout: Layout = scene.layout
    if layout != "image_text":
        layout = "bullets" if len(items) > 1 else "statement"  # none: the title alone
    return scene.model_copy(update={"items": items, "beats": beats, "layout": layout})


def _as_sentences(scene: Scene) -> Scene:
    """A statement's text as one item per sentence, each beat where the narration says it."""
    items: list[Item] = []
    beats = [b for b in scene.beats if b.item is None]
    cursor = 0
    for item in scene.items:
        for md in md_sentences(item.text):
            at = scene.narration.find(sentence(md), cursor)
            if at >= 0:
                beats.append(Beat(at=at, item=len(items)))
                cursor = at + 1
            items.append(Item(text=md))
    beats.sort(key=lambda b: b.at)
    return scene.model_copy(update={"items": items, "beats": beats})
