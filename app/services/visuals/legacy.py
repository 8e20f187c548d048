"""The renderer's scenes of today (`models.Scene`: a title and blocks) as plan scenes, so that
`VisualService.slide`, `layout_slide` and `render_slide` draw them with the new layouts until the
renderer consumes the Plan."""

from __future__ import annotations

import re
from pathlib import Path

from app.services.models import BlockKind, Script, VideoFormat
from app.services.models import Scene as ScriptScene
from app.services.planning import Code, Item, Layout, Plan, Scene
from app.services.visuals.drawing import draw_layout, save_png
from app.services.visuals.fonts import FontSet
from app.services.visuals.model import SlideLayout
from app.services.visuals.scene import compose_scene
from app.services.visuals.themes import THEMES, Theme

STATEMENT_CHARS = 160  # an untitled paragraph this short is set large, as a statement
_MARKUP = re.compile(r"([\\`*_\[\]<>!#])")


def escape(text: str) -> str:
    """Plain text as inline Markdown that shows it as written."""
    return _MARKUP.sub(r"\\\1", text)


def legacy_plan(script: Script) -> Plan:
    """Today's `Script` as a Plan (one plan scene per script scene), until the planner lands."""
    return Plan(title=script.title, scenes=[plan_scene(s, i) for i, s in enumerate(script.scenes)])


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
    title, narration = scene.title, scene.narration
    scene_id = f"s{index + 1}"
    if code:
        return Scene(
            id=scene_id,
            layout="code",
            title=title,
            items=items,
            code=Code(text="\n\n".join(code)),
            narration=narration,
        )
    layout: Layout = "bullets"
    if not title and len(items) == 1 and len(narration) <= STATEMENT_CHARS:
        layout = "statement"
    return Scene(id=scene_id, layout=layout, title=title, items=items, narration=narration)


def layout_slide(
    scene: ScriptScene, fmt: VideoFormat, fonts: FontSet | None = None, theme: Theme | None = None
) -> SlideLayout:
    """Today's renderer's scene (a title and blocks) laid out with the plan's layouts."""
    return compose_scene(plan_scene(scene, 0), fmt, theme or THEMES["dark"], None, index=0, fonts=fonts)


def render_slide(
    scene: ScriptScene,
    fmt: VideoFormat,
    out_path: Path,
    fonts: FontSet | None = None,
    theme: Theme | None = None,
) -> Path:
    """Today's renderer's scene drawn and saved as a PNG at `out_path` (atomically)."""
    save_png(draw_layout(layout_slide(scene, fmt, fonts, theme)), out_path)
    return out_path
