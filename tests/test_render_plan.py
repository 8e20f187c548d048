"""`Renderer.render_plan`: a Plan rendered for real (espeak-ng, ffmpeg, Pillow), looked at in the
decoded frames: its image in the frame, bad images refused before any work with nothing left."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from app.config import Settings, load_settings
from app.core.memory_optimizer import DiskCache, WorkspaceManager
from app.core.resource_manager import ResourceManager
from app.errors import ImageError, InputError
from app.services.beats import FocusState, focus_timeline, scene_foci
from app.services.documents import document_from_bytes, read_document
from app.services.images import ImagePolicy
from app.services.models import RenderOptions, WordTiming
from app.services.pipeline import Renderer
from app.services.planning import (
    Beat,
    ImageRef,
    Item,
    Plan,
    Scene,
    Table,
    derive_beats,
    plan_document,
    usable_beats,
)
from app.services.video import probe
from app.services.visuals import compose_scene, draw_layout, load_theme
from app.services.visuals.service import DrawnStill
from tests.images_support import huge_png, near
from tests.waiting import eventually

MAGENTA = (250, 20, 200)  # a colour no theme uses
OPTIONS = RenderOptions(voice="espeak:en-us", aspect="16:9", resolution=720)


def renderer(tmp_path: Path) -> Renderer:
    return Renderer(
        WorkspaceManager(tmp_path / "tmp"),
        ResourceManager(),
        DiskCache(tmp_path / "cache"),
        settings=load_settings(),
    )


def frame_at(video: Path, t: float) -> Image.Image:
    """The picture on screen at `t` seconds (the last frame shown at or before it)."""
    shown = None
    with av.open(str(video)) as c:
        for frame in c.decode(video=0):
            if shown is not None and float(frame.pts * frame.time_base) > t:
                break
            shown = frame.to_image()
    assert shown is not None
    return shown


def image_plan(src: str) -> Plan:
    return Plan(
        title="Charts",
        scenes=[
            Scene(
                id="s1",
                layout="image_text",
                title="The quarter",
                items=[Item(text="Sales rose in **March**.")],
                image=ImageRef(path=src, alt="The chart"),
                narration="Sales rose in March.",
            )
        ],
    )


async def test_the_plans_image_is_in_the_frame_where_the_layout_puts_it(tmp_path: Path) -> None:
    docs = tmp_path / "doc"
    docs.mkdir()
    Image.new("RGB", (800, 500), MAGENTA).save(docs / "chart.png")
    r = renderer(tmp_path)
    policy = ImagePolicy(root=docs, frame=OPTIONS.video_format.size)
    result = await r.render_plan(image_plan("chart.png"), tmp_path / "out.mp4", OPTIONS, images=policy)
    assert result.scenes == 1 and result.warnings == ()
    layout = compose_scene(
        image_plan(str(docs / "chart.png")).scenes[0], OPTIONS.video_format, load_theme("dark")
    )
    (box,) = [p.box for p in layout.pictures]
    frame = frame_at(result.video, result.duration / 2).convert("RGB")
    x0, y0, x1, y1 = box
    inside = frame.getpixel(((x0 + x1) // 2, (y0 + y1) // 2))
    assert isinstance(inside, tuple) and near(inside, MAGENTA, 30), inside
    magenta = [
        (x, y)
        for x in range(0, frame.width, 8)
        for y in range(0, frame.height, 8)
        if near(frame.getpixel((x, y)), MAGENTA, 30)  # type: ignore[arg-type]
    ]
    xs, ys = [x for x, _ in magenta], [y for _, y in magenta]
    assert x0 - 8 <= min(xs) and max(xs) <= x1 + 8 and y0 - 8 <= min(ys) and max(ys) <= y1 + 8
    drawn = r.visuals.drawn
    await r.render_plan(image_plan("chart.png"), tmp_path / "again.mp4", OPTIONS, images=policy)
    assert r.visuals.drawn == drawn, "a picture counts by its bytes, not its place in a workspace"
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("missing.png", "image 'missing.png': no such file in"),
        ("bomb.png", "over the 50-megapixel limit"),
        ("../outside.png", "image '../outside.png' is outside"),
        ("https://example.com/c.png", "remote images are off"),
    ],
)
async def test_a_bad_image_fails_before_any_speech_and_leaves_nothing(
    tmp_path: Path, src: str, expected: str
) -> None:
    docs = tmp_path / "doc"
    docs.mkdir()
    huge_png(docs / "bomb.png")
    Image.new("RGB", (20, 20), MAGENTA).save(tmp_path / "outside.png")
    r = renderer(tmp_path)
    out = tmp_path / "out" / "talk.mp4"
    out.parent.mkdir()
    with pytest.raises(ImageError, match=expected.replace(".", r"\.").replace("(", r"\(")):
        await r.render_plan(image_plan(src), out, OPTIONS, images=ImagePolicy(root=docs))
    assert r.tts.syntheses == 0, "the image is checked before any speech"
    assert list(out.parent.iterdir()) == [] and list((tmp_path / "tmp").iterdir()) == []


async def test_without_a_policy_no_local_file_is_shown(tmp_path: Path) -> None:
    Image.new("RGB", (20, 20), MAGENTA).save(tmp_path / "chart.png")
    with pytest.raises(ImageError, match="given no folder for local images"):
        await renderer(tmp_path).render_plan(
            image_plan(str(tmp_path / "chart.png")), tmp_path / "o.mp4", OPTIONS
        )


async def test_an_empty_plan_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no scenes"):
        await renderer(tmp_path).render_plan(Plan(scenes=[]), tmp_path / "o.mp4", OPTIONS)


# The spoken line shown: beats timed from the words, one still per focus state


def words(*spec: tuple[str, float]) -> list[WordTiming]:
    return [WordTiming(text, start, start + 0.3) for text, start in spec]


BULLETS = ["Apples are red.", "Bananas are yellow.", "Cherries are dark."]
NARRATION = " ".join(BULLETS)


def bullets_scene(**changes: object) -> Scene:
    at = [NARRATION.index(b) for b in BULLETS]
    scene = Scene(
        id="s2",
        layout="bullets",
        title="Fruit",
        items=[Item(text=b, marker="•") for b in BULLETS],
        narration=NARRATION,
        beats=[Beat(at=a, item=i) for i, a in enumerate(at)],
    )
    return scene.model_copy(update=changes)


SPOKEN = words(
    ("Apples", 0.1), ("are", 0.5), ("red.", 0.8),
    ("Bananas", 1.5), ("are", 2.0), ("yellow.", 2.3),
    ("Cherries", 3.0), ("are", 3.5), ("dark.", 3.8),
)  # fmt: skip


def test_each_beat_starts_when_its_word_is_heard() -> None:
    assert focus_timeline(bullets_scene(), SPOKEN) == [
        FocusState(0.0, 0),  # the first beat is at once: no empty state before it
        FocusState(1.5, 1),
        FocusState(3.0, 2),
    ]
    assert scene_foci(bullets_scene()) == [0, 1, 2]  # nothing is ever shown without a highlight
    late = [WordTiming(w.text, w.start + 0.9, w.end + 0.9) for w in SPOKEN]  # a long lead-in
    assert focus_timeline(bullets_scene(), late)[0] == FocusState(0.0, 0), "the first beat opens the scene"


def test_a_beat_inside_a_word_or_between_words_starts_at_the_next_word() -> None:
    at = NARRATION.index("ananas")  # inside "Bananas"
    scene = bullets_scene(beats=[Beat(at=at, item=1), Beat(at=NARRATION.index(" Cherries"), item=2)])
    assert focus_timeline(scene, SPOKEN) == [FocusState(0, None), FocusState(1.5, 1), FocusState(3.0, 2)]
    assert scene_foci(scene) == [None, 1, 2]


def test_states_shorter_than_the_minimum_hold_are_skipped_and_repeats_merged() -> None:
    quick = words(("Apples", 0.0), ("are", 0.1), ("red.", 0.2), ("Bananas", 0.3), ("are", 2.0))
    scene = bullets_scene(
        narration="Apples are red. Bananas are",
        beats=[Beat(at=0, item=0), Beat(at=16, item=1), Beat(at=24, item=1)],
    )
    assert focus_timeline(scene, quick) == [FocusState(0.0, 1)]


def test_beats_that_cannot_apply_show_one_still() -> None:
    stale = bullets_scene(beats=[Beat(at=5000, item=1)])  # past the narration: found again
    assert focus_timeline(stale, SPOKEN) == [FocusState(0.0, 0), FocusState(1.5, 1), FocusState(3.0, 2)]
    unsaid = stale.model_copy(update={"narration": "Something else entirely is said here."})
    assert focus_timeline(unsaid, SPOKEN) == [FocusState(0.0, None)]  # nothing to point at
    assert scene_foci(unsaid) == [None]
    statement = bullets_scene(layout="code")  # the picture does not change with the focus
    assert scene_foci(statement) == [None]
    out_of_range = bullets_scene(beats=[Beat(at=0, item=0), Beat(at=20, item=9)])
    assert scene_foci(out_of_range) == [0, None]


def test_normalized_speech_maps_beats_in_proportion() -> None:
    """`spoken` may have other words than the narration ("3" -> "three"): beats land in proportion."""
    spoken = words(*((f"w{i}", i * 0.5) for i in range(18)))  # twice the written words
    assert focus_timeline(bullets_scene(), spoken) == [
        FocusState(0.0, 0),
        FocusState(3.0, 1),
        FocusState(6.0, 2),
    ]


def item_lumas(frame: Image.Image, scene: Scene, focus: int | None, burn: bool = False) -> dict[int, float]:
    layout = compose_scene(scene, OPTIONS.video_format, load_theme("dark"), focus, captions_burned=burn)
    grey = np.asarray(frame.convert("L"), dtype=np.float32)
    out: dict[int, list[float]] = {}
    for line in layout.lines:
        if line.item is not None and line.role == "bullet":
            x0, y0, x1, y1 = line.box
            out.setdefault(line.item, []).append(float(grey[y0:y1, x0:x1].mean()))
    return {k: sum(v) / len(v) for k, v in out.items()}


def spoken_at(srt: Path, word: str) -> float:
    """The middle of the caption that shows `word`."""
    for block in srt.read_text(encoding="utf-8").strip().split("\n\n"):
        lines = block.splitlines()
        if word in " ".join(lines[2:]):
            a, b = (
                sum(float(x) * m for x, m in zip(t.replace(",", ".").split(":"), (3600, 60, 1), strict=True))
                for t in lines[1].split(" --> ")
            )
            return (a + b) / 2
    raise AssertionError(f"{word!r} is not in the captions")


@pytest.mark.parametrize(
    ("fps", "burn"), [(None, False), (10, False), (10, True)], ids=["vfr", "cfr", "burned"]
)
async def test_the_highlight_moves_with_the_voice_in_the_video(
    tmp_path: Path, fps: int | None, burn: bool
) -> None:
    scene = bullets_scene()
    opening = Scene(id="s1", layout="title", title="Fruit", narration="Fruit, in three colours.")
    closing = Scene(id="s3", layout="statement", items=[Item(text="Eat well.")], narration="Eat well.")
    plan = Plan(scenes=[opening, scene, closing])
    options = RenderOptions(voice="espeak:en-us", aspect="16:9", resolution=720, fps=fps, burn_captions=burn)
    r = renderer(tmp_path)
    result = await r.render_plan(plan, tmp_path / "hl.mp4", options)
    assert r.visuals.drawn == 5 and r.segments_encoded == 3  # title; 0, 1, 2; end; a segment each
    srt = result.srt
    first, last = spoken_at(srt, "Apples"), spoken_at(srt, "Cherries")
    early = item_lumas(frame_at(result.video, first), scene, 0, burn)
    late = item_lumas(frame_at(result.video, last), scene, 2, burn)
    assert early[0] > early[2] + 10 and late[2] > late[0] + 10, (early, late)
    with av.open(str(result.video)) as c:
        times = [float(f.pts * f.time_base) for f in c.decode(video=0)]
    assert times == sorted(times) and len(set(times)) == len(times), times
    assert abs(times[-1] - result.duration) < 0.2, (times[-1], result.duration)
    if fps is not None:
        steps = {round(b - a, 3) for a, b in itertools.pairwise(times)}
        assert steps == {0.1}, steps
    else:  # each still is one frame held: the highlight costs a frame, not a re-encode
        assert len(times) <= 10, times


async def test_nothing_is_drawn_outside_a_five_percent_margin(tmp_path: Path) -> None:
    """Each scene's frames, against its bare backdrop (its layout with nothing drawn on it): outside
    the 5% margin they differ only by the encoder's noise."""
    rows = [[f"row {i}", f"{i * 7}", "yes"] for i in range(8)]
    prose = ["A first long sentence about the subject at hand.", "Another one follows it here."]
    scenes = [
        bullets_scene(id="s1"),
        Scene(
            id="s2",
            layout="table",
            title="A table",
            table=Table(header=["Name", "Count", "Done"], rows=rows),
            narration="Eight rows.",
        ),
        Scene(
            id="s3",
            layout="prose",
            title="Prose",
            items=[Item(text=t) for t in prose],
            narration=" ".join(prose),
            beats=[Beat(at=0, item=0), Beat(at=len(prose[0]) + 1, item=1)],
        ),
    ]
    result = await renderer(tmp_path).render_plan(Plan(scenes=scenes), tmp_path / "m.mp4", OPTIONS)
    w, h = OPTIONS.video_format.size
    mx, my = round(w * 0.05), round(h * 0.05)
    theme = load_theme("dark")
    with av.open(str(result.video)) as c:
        frames = [(float(f.pts * f.time_base), f.key_frame, f.to_image()) for f in c.decode(video=0)]
    index = -1
    for t, key, frame in frames:
        index += key  # each scene's segment starts with a key frame
        layout = compose_scene(scenes[index], OPTIONS.video_format, theme)
        bare = dataclasses.replace(layout, lines=(), shapes=(), pictures=(), logo=None)
        ground = np.asarray(draw_layout(bare, seed=index + 1).convert("L"), dtype=np.float32)
        diff = np.abs(np.asarray(frame.convert("L"), dtype=np.float32) - ground)
        strips = [diff[:my], diff[-my:], diff[:, :mx], diff[:, -mx:]]
        worst = max(float(s.max()) for s in strips)
        assert worst < 24, (t, index, worst)


SPOKEN_MARKS = ("shape highlight", "shape focus")  # around the spoken item: they move with it


def overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("aspect", ["16:9", "9:16", "1:1"])
def test_no_dot_grid_or_ring_runs_through_text(aspect: str) -> None:
    """The backdrop's crisp decorations keep off the words and pictures, whatever the variant."""
    fmt = RenderOptions(aspect=aspect, resolution=720).video_format
    prose = ["Prose is shown sentence by sentence.", "The sentence being read is set large."]
    scenes = [
        bullets_scene(),
        Scene(id="s1", layout="prose", title="Prose", items=[Item(text=t) for t in prose], narration="x"),
        Scene(id="s1", layout="title", title="A title card", subtitle="and its subtitle", narration="x"),
    ]
    for scene in scenes:
        for variant in range(12):
            backdrops = set()
            for focus in (None, 0, 1):
                layout = compose_scene(scene, fmt, load_theme("dark"), focus, index=variant)
                backdrops.add(layout.backdrop)
                steady = [(what, b) for what, b in layout.content_boxes() if what not in SPOKEN_MARKS]
                content = [b for _, b in steady]
                for d in layout.backdrop.decorations:
                    if d.kind in ("dots", "ring"):
                        for b in content:
                            overlap = (
                                d.box[0] < b[2] and b[0] < d.box[2] and d.box[1] < b[3] and b[1] < d.box[3]
                            )
                            assert not overlap, (scene.layout, variant, d.kind, d.box, b)


@pytest.mark.parametrize("aspect", ["16:9", "9:16", "1:1"])
@pytest.mark.parametrize("kind", ["bullets", "image_text", "quote", "table"])
def test_the_words_stay_put_while_the_highlight_moves(aspect: str, kind: str) -> None:
    """Only the highlight changes from one focus state to the next: no line of text moves."""
    fmt = RenderOptions(aspect=aspect, resolution=720).video_format
    scene = bullets_scene(layout=kind)
    if kind == "table":
        rows = [[b.split()[0], b] for b in BULLETS]
        scene = scene.model_copy(update={"items": [], "table": Table(header=["Fruit", "Note"], rows=rows)})
    placed = {
        focus: [(line.text, line.box) for line in compose_scene(scene, fmt, load_theme("dark"), focus).lines]
        for focus in (None, 0, 1, 2)
    }
    assert placed[0] == placed[None] and placed[1] == placed[None] and placed[2] == placed[None]


async def test_a_markdown_documents_image_is_in_the_video(tmp_path: Path) -> None:
    """Read, planned and rendered: the picture `![alt](chart.png)` beside its text is on screen."""
    from app.services.documents import load_document

    docs = tmp_path / "doc"
    docs.mkdir()
    Image.new("RGB", (800, 500), MAGENTA).save(docs / "chart.png")
    talk = docs / "talk.md"
    talk.write_text(
        "# Results\n\nSales rose in March. The chart shows the quarter.\n\n![The quarter](chart.png)\n",
        encoding="utf-8",
    )
    policy = ImagePolicy(root=docs, frame=OPTIONS.video_format.size)
    result = await renderer(tmp_path).render(load_document(talk), tmp_path / "t.mp4", OPTIONS, images=policy)
    with av.open(str(result.video)) as c:
        shares = []
        for f in c.decode(video=0):
            small = np.asarray(f.to_image().convert("RGB").resize((160, 90)), dtype=np.int16)
            close = (np.abs(small - np.array(MAGENTA, dtype=np.int16)) <= 30).all(axis=2)
            shares.append(float(close.mean()))
    assert max(shares) > 0.1, shares  # a tenth of the frame or more is the picture


async def test_a_picture_with_nothing_said_stays_on_screen(tmp_path: Path) -> None:
    """An image alone (no alt, no heading) has no narration: it used to flash by (in the middle of a
    storyboard) or vanish (at the end, whose pause was never played). It is held T2V_SILENT_SCENE."""
    hold = Settings().silent_scene
    docs = tmp_path / "doc"
    docs.mkdir()
    Image.new("RGB", (800, 500), MAGENTA).save(docs / "chart.png")
    content = read_document(document_from_bytes(b"Words first.\n\n---\n\n![](chart.png)\n", "talk.md", None))
    silent = plan_document(content).scenes[-1]
    assert silent.layout == "full_image" and silent.narration == "" and silent.pause_after == hold

    def picture(n: int) -> Scene:  # as a storyboard editor leaves it: no narration, no pause_after
        return Scene(
            id=f"s{n}",
            layout="full_image",
            title=f"Picture {n}",
            image=ImageRef(path="chart.png"),
            narration="",
        )

    said = [
        Scene(
            id=f"s{n}", layout="statement", title=f"Said {n}", items=[Item(text="Words.")], narration="Words."
        )
        for n in (1, 3)
    ]
    plan = Plan(title="Held", scenes=[said[0], picture(2), said[1], picture(4)])
    policy = ImagePolicy(root=docs, frame=OPTIONS.video_format.size)
    result = await renderer(tmp_path).render_plan(plan, tmp_path / "held.mp4", OPTIONS, images=policy)
    starts = [start for start, _ in probe(result.video).chapters]
    assert len(starts) == 4
    lengths = [b - a for a, b in zip(starts, [*starts[1:], result.duration], strict=True)]
    assert lengths[1] >= hold - 0.05 and lengths[3] >= hold - 0.05, lengths
    assert lengths[1] < hold + 0.5 and lengths[3] < hold + 0.5, lengths  # held, not padded twice
    for start, length in ((starts[1], lengths[1]), (starts[3], lengths[3])):
        frame = frame_at(result.video, start + length * 0.8).convert("RGB")
        centre = frame.getpixel((frame.width // 2, frame.height // 3))
        assert isinstance(centre, tuple) and near(centre, MAGENTA, 30), centre


async def test_the_narration_is_encoded_while_the_stills_are_drawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold render levels and encodes its narration track as soon as the speech is made, while the
    stills are drawn, not beside the video's encoders, where its arrays added to a cold 1080p render's
    memory peak. Here every still waits for the track to be written: a render that encoded it after
    the stills would never get that far."""
    r = renderer(tmp_path)
    draw = r.visuals.draw_scene
    tracks: list[Path] = []

    async def after_the_narration(*args: Any, **kwargs: Any) -> DrawnStill:
        found = await eventually(
            lambda: sorted((tmp_path / "tmp").glob("*/narration.aac")),
            timeout=120,
            what="the narration track, written before the stills are drawn",
        )
        tracks.extend(found)
        return await draw(*args, **kwargs)

    monkeypatch.setattr(r.visuals, "draw_scene", after_the_narration)
    items = ["Apples keep well.", "Pears ripen fast."]
    scenes = [
        Scene(
            id=f"s{n}",
            layout="bullets",
            title=f"Fruit {n}",
            items=[Item(text=t) for t in items],
            narration=" ".join(items),
            beats=[Beat(at=0, item=0), Beat(at=len(items[0]) + 1, item=1)],
        )
        for n in (1, 2)
    ]
    result = await r.render_plan(Plan(title="Order", scenes=scenes), tmp_path / "order.mp4", OPTIONS)
    assert len(tracks) >= 2, tracks  # every still (one per item said) drawn after the track
    assert result.duration > 2 and probe(result.video).audio_codec == "aac"


@pytest.mark.parametrize("aspect", ["16:9", "9:16"], ids=["grid", "cards"])
async def test_a_tables_highlight_follows_the_row_being_said(tmp_path: Path, aspect: str) -> None:
    """Each row is lit while its sentence is heard (a grid on 16:9, a card per row on 9:16), in the
    decoded video: not the row before, not the next."""
    header = ["Fruit", "Colour", "Taste", "Season", "Origin"]
    rows = [
        ["apple", "red", "sweet", "autumn", "Kazakhstan"],
        ["lemon", "yellow", "sour", "winter", "Assam"],
        ["olive", "green", "bitter", "autumn", "Levant"],
    ]
    doc = "## Fruit\n\n| " + " | ".join(header) + " |\n|---|---|---|---|---|\n"
    doc += "".join("| " + " | ".join(r) + " |\n" for r in rows)
    options = dataclasses.replace(OPTIONS, aspect=aspect, resolution=720)
    r = renderer(tmp_path)
    plan = r.plan_document(document_from_bytes(doc.encode(), "fruit.md", None), options)
    tables = [s for s in plan.scenes if s.layout == "table" and s.table is not None]
    result = await r.render_plan(plan, tmp_path / "fruit.mp4", options)
    checked = 0
    for row in rows:
        scene = next(s for s in tables if s.table is not None and row in s.table.rows)
        shown = scene.table.rows if scene.table is not None else []
        if len(shown) < 2:
            continue  # a row alone on its slide: nothing to point at
        n = shown.index(row)
        frame = frame_at(result.video, spoken_at(result.srt, row[0])).convert("L")
        grey = np.asarray(frame, dtype=np.float32)
        layout = compose_scene(scene, options.video_format, load_theme("dark"), n)
        lumas = {
            k: float(np.mean([grey[b[1] : b[3], b[0] : b[2]].mean() for b in boxes]))
            for k in range(len(shown))
            if (boxes := [line.box for line in layout.lines if line.item == k and line.role == "cell"])
        }
        assert lumas[n] > max(v for k, v in lumas.items() if k != n) + 10, (row[0], lumas)
        checked += 1
    assert checked >= 2


FRUIT_MD = (
    b"## Fruit\n\nThree of them.\n\n"
    b"| Fruit | Colour | Taste |\n|---|---|---|\n"
    b"| apple | red | sweet |\n| lemon | yellow | sour |\n| olive | green | bitter |\n\n"
    b"## Steps\n\n1. Wash the fruit.\n2. Cut it in halves.\n3. Serve it cold.\n\n"
    b"## Prose\n\nThe first sentence is here. The second one follows it. The third one ends it.\n"
)


def test_beats_lost_in_an_edit_are_found_again_where_each_row_or_item_is_said() -> None:
    """The studio clears a scene's beats when its words change (the server derives them): without
    that, an edited table or list had no highlight, or kept one row lit for the rest of the scene."""
    plan = plan_document(read_document(document_from_bytes(FRUIT_MD, "fruit.md", None)))
    focused = [s for s in plan.scenes if s.layout in ("table", "bullets", "prose")]
    assert len(focused) == 3
    for scene in focused:
        assert usable_beats(scene) == scene.beats  # the planner's own are kept
        planned = [(b.at, b.item) for b in scene.beats if b.item is not None]
        found = [(b.at, b.item) for b in derive_beats(scene) if b.item is not None]
        assert found == planned, scene.layout

    table = focused[0]
    # edited: the lemon row said differently, the olive row dropped from the narration, beats cleared
    narration = "Here is the fruit table. Fruit: apple; Colour: red. Now the lemon, which is yellow and sour."
    edited = table.model_copy(update={"narration": narration, "beats": [], "spoken": None})
    timed = [WordTiming(w, 0.5 * n, 0.5 * n + 0.4) for n, w in enumerate(narration.split())]
    states = focus_timeline(edited, timed)
    start = {w.text.strip(".,;:"): w.start for w in timed}
    assert [(s.focus, s.start) for s in states] == [
        (None, 0.0),
        (0, start["Fruit"]),
        (1, start["lemon"]),
    ]
    # stale: the old offsets no longer point at the rows (row 0's stretch does not say "apple")
    shifted = table.model_copy(
        update={
            "narration": "Before the table, a long sentence is said about nothing in particular. "
            + table.narration
        }
    )
    assert usable_beats(shifted) != shifted.beats
    assert [b.item for b in usable_beats(shifted)] == [None, 0, 1, 2]
