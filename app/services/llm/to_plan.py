"""A model's script as a storyboard: the layouts, pictures and voices are t2v's choice, not the model's.

A title card, then one scene per script scene: its bullets as a bulleted slide (one bullet: a
statement; none: the narration shown sentence by sentence), each bullet highlighted while the
sentences it summarizes are spoken; its keywords are what `--visuals` providers search pictures for
(instead of the words t2v would pick from the title and narration offline)."""

from __future__ import annotations

from app.services.documents import escape
from app.services.llm.draft import ScriptDraft, base
from app.services.planning import Beat, Item, Layout, Plan, Scene, split_sentences


def draft_plan(draft: ScriptDraft) -> Plan:
    scenes = [Scene(id="s1", layout="title", title=escape(draft.title), narration=_closed(draft.title))]
    for i, s in enumerate(draft.scenes):
        sentences = [x for x in split_sentences(s.narration) if x.strip()] or [s.narration]
        if s.bullets:
            items = [Item(text=escape(b), marker="•") for b in s.bullets]
            layout: Layout = "bullets" if len(items) > 1 else "statement"
        else:
            items = [Item(text=escape(x.strip())) for x in sentences]
            layout = "prose"
        beats, at, last = [], 0, -1
        for j, sentence in enumerate(sentences):  # sentence j speaks about item j * items / sentences
            item = min(len(items) - 1, j * len(items) // len(sentences))
            if item != last:
                beats.append(Beat(at=at, item=item))
                last = item
            at += len(sentence)
        scenes.append(
            Scene(
                id=f"s{i + 2}",
                layout=layout,
                title=escape(s.title) or None,
                items=items,
                narration=s.narration,
                beats=beats,
                keywords=[k.strip() for k in s.keywords if k.strip()][:12],  # --visuals searches these
            )
        )
    return Plan(title=escape(draft.title), language=base(draft.language) or None, scenes=scenes)


def _closed(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?…。！？" else text + "."
