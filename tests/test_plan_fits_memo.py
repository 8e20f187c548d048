"""Planning an edited document lays out only the scenes that changed: whether a scene fits the frame
is remembered by what it depends on (the scene, the frame, the theme with its logo's content, burned
captions), and the plan is the one planning from scratch makes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from app.services import plan_stage
from app.services.documents import document_from_bytes, read_document
from app.services.models import RenderOptions, VideoFormat
from app.services.planning import Scene
from app.services.visuals import load_theme

SCENES = [f"# Part {n}\n\nThe text of part {n} says a few words about it." for n in range(1, 9)]


def plan_of(text: str, options: RenderOptions) -> str:
    content = read_document(document_from_bytes(text.encode(), "t.md", None))
    return plan_stage.make_plan(content, options, spoken=False).model_dump_json()


@pytest.fixture
def layouts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The scenes actually laid out (a fresh memo for each test)."""
    seen: list[str] = []
    real = plan_stage.fits

    def counted(scene: plan_stage.Scene, *args: object, **kwargs: object) -> bool:
        seen.append(scene.title or "")
        return real(scene, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(plan_stage, "fits", counted)
    monkeypatch.setattr(plan_stage, "_FITS", plan_stage._FitsMemo())
    return seen


def test_an_edit_lays_out_only_the_edited_scene(layouts: list[str]) -> None:
    options = RenderOptions(voice="espeak:en-us")
    text = "\n\n".join(SCENES)
    first = plan_of(text, options)
    assert sorted(layouts) == sorted(f"Part {n}" for n in range(1, 9))
    layouts.clear()
    assert plan_of(text, options) == first and layouts == []
    edited = text.replace("The text of part 5", "The longer, edited text of part 5")
    memo = plan_of(edited, options)
    assert layouts == ["Part 5"]
    plan_stage._FITS = plan_stage._FitsMemo()
    assert memo == plan_of(edited, options), "the same plan as planning from scratch"
    layouts.clear()
    plan_of(text, RenderOptions(voice="espeak:en-us", aspect="9:16"))
    assert len(layouts) == 8, "another frame is laid out again"


def test_a_changed_logo_file_lays_the_scenes_out_again(layouts: list[str], tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGB", (200, 100), "red").save(logo)
    theme = tmp_path / "theme.toml"
    theme.write_text(f'base = "dark"\n\n[logo]\npath = "{logo.name}"\n', encoding="utf-8")
    options = RenderOptions(voice="espeak:en-us", theme=str(theme))
    text = "\n\n".join(SCENES[:3])
    plan_of(text, options)
    assert len(layouts) == 3
    Image.new("RGB", (100, 400), "red").save(logo)  # taller: the content's room changes
    plan_of(text, options)
    assert len(layouts) == 6


def test_the_memo_forgets_the_scene_asked_least_recently(layouts: list[str]) -> None:
    """Full, the memo forgets the scene least recently asked, not the first remembered: a scene an
    edited document keeps asking about stays."""
    memo = plan_stage._FitsMemo()
    memo.SIZE = 2
    fmt, theme = VideoFormat("16:9", 360), load_theme("dark")
    a, b, c = (Scene(id=f"s{n}", layout="bullets", title=f"Part {n}", narration="x") for n in range(3))
    for scene in (a, b, a, c):  # c takes b's place (asked before a's second time)
        memo.fits(scene, fmt, theme, False)
    layouts.clear()
    memo.fits(a, fmt, theme, False)
    assert layouts == []
    memo.fits(b, fmt, theme, False)
    assert layouts == ["Part 1"]
