"""The fast render path: scene segments, constant frame rate on demand, motion, reuse on edit."""

from __future__ import annotations

import itertools
from pathlib import Path

import av
import pytest

from app.config import load_settings
from app.core.memory_optimizer import DiskCache, WorkspaceManager
from app.core.resource_manager import ResourceManager
from app.services.documents import document_from_bytes
from app.services.models import RenderOptions
from app.services.pipeline import Renderer
from app.services.video import probe

pytestmark = pytest.mark.slow

DOC = "\n\n".join(f"# Scene {i}\n\nThis is scene number {i}. It has a sentence or two." for i in range(1, 6))


def renderer(tmp_path: Path) -> Renderer:
    return Renderer(
        WorkspaceManager(tmp_path / "tmp"),
        ResourceManager(),
        DiskCache(tmp_path / "cache"),
        settings=load_settings(),
    )


def frame_times(path: Path) -> list[float]:
    with av.open(str(path)) as c:
        return [float(f.pts * f.time_base) for f in c.decode(video=0)]


def srt_text(path: Path) -> str:
    return path.with_suffix(".srt").read_text(encoding="utf-8")


async def test_constant_frame_rate_matches_the_default_path(tmp_path: Path) -> None:
    r = renderer(tmp_path)
    doc = document_from_bytes(DOC.encode(), "talk.md", None)
    vfr = await r.render(doc, tmp_path / "vfr.mp4", RenderOptions(voice="en"))
    cfr = await r.render(doc, tmp_path / "cfr.mp4", RenderOptions(voice="en", fps=30))
    a, b = probe(vfr.video), probe(cfr.video)
    assert abs(a.duration - b.duration) < 0.05
    assert (a.video_codec, a.audio_codec, a.subtitle_codecs) == (
        b.video_codec,
        b.audio_codec,
        b.subtitle_codecs,
    )
    assert srt_text(vfr.video) == srt_text(cfr.video)
    times = frame_times(cfr.video)
    steps = {round(t2 - t1, 4) for t1, t2 in itertools.pairwise(times)}
    assert steps == {round(1 / 30, 4)}, "every frame 1/30 s after the last: constant frame rate"
    assert abs(len(times) - b.duration * 30) <= 2
    assert len(frame_times(vfr.video)) < 20, "the default path encodes each picture about once"


async def test_an_edited_document_reencodes_only_the_changed_scene(tmp_path: Path) -> None:
    r = renderer(tmp_path)
    first = await r.render(
        document_from_bytes(DOC.encode(), "t.md", None), tmp_path / "a.mp4", RenderOptions()
    )
    assert r.segments_encoded == 5
    edited = DOC.replace("scene number 3.", "scene number three, now edited and longer.")
    second = await r.render(
        document_from_bytes(edited.encode(), "t.md", None), tmp_path / "b.mp4", RenderOptions()
    )
    assert r.segments_encoded == 6, "only the edited scene's segment is encoded again"
    # 5 titles, 5 "This is scene number i.", one shared "It has a sentence or two.", the edited one
    assert r.tts.syntheses == 12 and r.visuals.drawn == 6
    assert second.duration > first.duration
    before, after = srt_text(first.video).split("\n\n"), srt_text(second.video).split("\n\n")
    assert before[:4] == after[:4], "captions before the edit are unchanged"


async def test_motion_moves_the_picture_every_frame(tmp_path: Path) -> None:
    r = renderer(tmp_path)
    doc = document_from_bytes(b"# Motion\n\nThe picture pans slowly while this is read.", "m.md", None)
    result = await r.render(
        doc, tmp_path / "m.mp4", RenderOptions(voice="en", motion="all", burn_captions=True)
    )
    times = frame_times(result.video)
    assert abs(len(times) - result.duration * 30) <= 2
    with av.open(str(result.video)) as c:
        frames = [f.to_image().convert("L") for i, f in enumerate(c.decode(video=0)) if i in (0, 30)]
    top = (0, 0, frames[0].width, frames[0].height // 2)
    assert frames[0].crop(top).tobytes() != frames[1].crop(top).tobytes(), "the slide moved"
    assert abs(probe(result.video).duration - result.duration) < 0.01


def decoded_audio(path: Path) -> tuple[list[float], int]:
    """The MP4's narration as mono float samples (the edit list applied by the decoder)."""
    import array

    samples: list[float] = []
    with av.open(str(path)) as c:
        stream = c.audio[0] if hasattr(c, "audio") else c.streams.audio[0]
        rate = stream.rate
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in c.decode(audio=0):
            for out in resampler.resample(frame):
                samples.extend(array.array("f", bytes(out.planes[0]))[: out.samples])
    return samples, rate


async def test_scene_audio_pieces_join_silently_and_stay_in_sync(tmp_path: Path) -> None:
    r = renderer(tmp_path)
    doc = document_from_bytes(DOC.encode(), "t.md", None)
    result = await r.render(doc, tmp_path / "a.mp4", RenderOptions(voice="en"))
    assert r.audio_pieces_encoded == 5
    samples, rate = decoded_audio(result.video)
    assert abs(len(samples) / rate - result.duration) < 0.1
    cues = srt_text(result.video).split("\n\n")
    starts = []
    for block in cues:
        stamp = block.splitlines()[1].split(" --> ")[0]
        h, m, rest = stamp.split(":")
        starts.append(int(h) * 3600 + int(m) * 60 + float(rest.replace(",", ".")))
    loud = [i for i, x in enumerate(samples) if abs(x) > 0.05]
    assert loud, "no speech in the track"
    # the first caption appears when the voice is first heard (within 60 ms)
    assert abs(loud[0] / rate - starts[0]) < 0.06
    # every join lies in a pause: the quietest stretch between scenes is silent, with no click
    gaps = [(a, b) for a, b in itertools.pairwise(loud) if (b - a) / rate > 0.6]
    assert len(gaps) >= 4, "a pause between each pair of scenes"
    for a, b in gaps:  # the join is ~0.3 s after the voice stops (espeak's own end pause)
        assert max(abs(x) for x in samples[a + int(0.15 * rate) : b - int(0.1 * rate)]) < 0.01
    # editing one scene encodes one audio piece again
    edited = DOC.replace("scene number 2.", "scene number two, edited.")
    await r.render(
        document_from_bytes(edited.encode(), "t.md", None), tmp_path / "b.mp4", RenderOptions(voice="en")
    )
    assert r.audio_pieces_encoded == 6
