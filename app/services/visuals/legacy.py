"""The renderer's scenes of today (`models.Scene`: a title and blocks) as plan scenes, so that
`VisualService.slide` draws them with the new layouts until the renderer consumes the Plan."""

from __future__ import annotations

import re

from app.services.models import BlockKind
from app.services.models import Scene as ScriptScene
from app.services.planning.plan import Code, Item, Scene

STATEMENT_CHARS = 160  # an untitled paragraph this short is set large, as a statement
_MARKUP = re.compile(r"([\\`*_\[\]<>!#])")


def escape(text: str) -> str:
    """Plain text as inline Markdown that shows it as written."""
    return _MARKUP.sub(r"\\\1", text)


def plan_scene(scene: ScriptScene, index: int) -> Scene:
    blocks = [b for b in scene.blocks if b.text.strip()]
    code = [b.text for b in blocks if b.kind is BlockKind.CODE]
    items = [
        Item(text=escape(b.text), marker="•" if b.kind is BlockKind.BULLET else None)
        for b in blocks
        if b.kind is not BlockKind.CODE
    ]
    if not blocks and not scene.title and scene.narration.strip():
        items = [Item(text=escape(scene.narration))]
    common = {"id": f"s{index + 1}", "title": scene.title, "items": items, "narration": scene.narration}
    if code:
        return Scene(layout="code", code=Code(text="\n\n".join(code)), **common)  # type: ignore[arg-type]
    if not scene.title and len(items) == 1 and len(scene.narration) <= STATEMENT_CHARS:
        return Scene(layout="statement", **common)  # type: ignore[arg-type]
    return Scene(layout="bullets", **common)  # type: ignore[arg-type]
