"""Sound (issue 14, items 1-2): loudness measured as ffmpeg's ebur128 measures it, every output at the
target loudness under the true-peak limit, 48 kHz AAC, room tone, and the per-scene cache kept."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from app.config import load_settings
from app.core.memory_optimizer import DiskCache, WorkspaceManager
from app.core.queue_manager import Trust
from app.core.resource_manager import ResourceManager
from app.errors import InputError
from app.services.audio import integrated, loudness, loudness_of, measure, narration, true_peak
from app.services.audio.aac import PieceJob, encode_aac
from app.services.documents import document_from_bytes
from app.services.models import RenderOptions
from app.services.options import parse_render_options
from app.services.pipeline import Renderer
from app.services.speech.espeak import EspeakEngine
from app.services.speech.wav import write_wav
from app.services.video import ffmpeg_exe
from tests.conftest import CLI
from tests.sound_support import audio_stream, decoded, ebur128
from tests.test_tts_piper import packaged_model

DOC = "\n\n".join(
    f"# Part {i}\n\nThis is part number {i} of the talk. It says a sentence or two, then stops."
    for i in range(1, 4)
)


def renderer(tmp_path: Path) -> Renderer:
    return Renderer(
        WorkspaceManager(tmp_path / "tmp"),
        ResourceManager(),
        DiskCache(tmp_path / "cache"),
        settings=load_settings(),
    )


def speech_48k(tmp_path: Path, text: str) -> tuple[Path, np.ndarray]:
    """Real espeak speech, resampled to 48 kHz by ffmpeg: a WAV and its float samples."""
    pcm, rate, _ = EspeakEngine().synthesize(text, "en", 175)
    src = tmp_path / "speech.wav"
    write_wav(src, pcm, rate)
    out = tmp_path / "speech48.wav"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-i", str(src), "-ar", "48000", "-c:a", "pcm_f32le", str(out)],
        check=True,
    )
    samples, _ = decoded(out)
    return out, samples[0]


def test_loudness_and_true_peak_match_ffmpeg_ebur128(tmp_path: Path) -> None:
    wav, x = speech_48k(tmp_path, "Loudness is measured here, the way ebur128 does it. One, two, three!")
    ours = measure(x)
    theirs = ebur128(wav)
    loud = integrated([ours])
    assert loud is not None and abs(loud - theirs.integrated) <= 0.15
    assert abs(20 * np.log10(ours.peak) - theirs.true_peak) <= 0.3
    # a 997 Hz sine at -20 dBFS peak: -23.0 LUFS by definition (+/- the K-filter's 0.0x dB there)
    t = np.arange(48000 * 3) / 48000
    sine = (0.1 * np.sin(2 * np.pi * 997 * t)).astype(np.float32)
    assert abs(loudness_of([sine]) - (-23.0)) < 0.1  # type: ignore[operator]
    assert abs(20 * np.log10(true_peak(sine)) - (-20.0)) < 0.05


def iir_k_weight(x: np.ndarray) -> np.ndarray:
    """BS.1770's two biquads run sample by sample (float64): what `k_weight` must equal."""
    y = x.astype(np.float64)
    for (b0, b1, b2), (_, a1, a2) in (loudness._SHELF, loudness._HIGHPASS):
        out, x1, x2, y1, y2 = np.empty_like(y), 0.0, 0.0, 0.0, 0.0
        for n, v in enumerate(y.tolist()):
            out[n] = w = b0 * v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
            x1, x2, y1, y2 = v, x1, w, y1
        y = out
    return y


@pytest.mark.parametrize("seconds", [0.3, 3.1])  # one FFT of its own length; overlap-added blocks
def test_the_k_filter_equals_the_iir_filters(seconds: float) -> None:
    x = (np.random.default_rng(7).standard_normal(int(48000 * seconds)) * 0.2).astype(np.float32)
    x[len(x) // 3 :] *= 0.01  # a quiet part too: its error counts as much
    ours, theirs = loudness.k_weight(x), iir_k_weight(x)
    assert np.max(np.abs(ours - theirs)) < 1e-11 * max(1.0, float(np.max(np.abs(theirs))))


def test_the_narration_is_measured_from_its_scenes_and_pauses(tmp_path: Path) -> None:
    """Scenes measured alone and laid end to end with pauses give the whole track's loudness."""
    _, x = speech_48k(tmp_path, "A first scene, spoken once and measured once.")
    quiet = (x * 0.3).astype(np.float32)
    pause = np.zeros(24000, dtype=np.float32)
    whole = np.concatenate([x, pause, quiet, pause, x])
    parts = integrated([measure(x), measure(quiet), measure(x)], [0.0, 0.5, 0.5])
    # within 0.2 LU: each scene's last 100 ms step is padded, so the 400 ms blocks fall a little differently
    assert parts is not None and abs(parts - loudness_of([whole])) < 0.2  # type: ignore[operator]
    assert integrated([measure(np.zeros(4800, dtype=np.float32))]) is None, "silence has no loudness"


async def test_renders_meet_the_loudness_target_at_48_khz(tmp_path: Path) -> None:
    r = renderer(tmp_path)
    doc = document_from_bytes(DOC.encode(), "talk.md", None)
    default = await r.render(doc, tmp_path / "a.mp4", RenderOptions(voice="en"))
    assert r.audio_pieces_encoded == 3
    assert audio_stream(default.video) == ("aac", 48000, 1)
    m = ebur128(default.video)
    assert abs(m.integrated - (-16.0)) <= 1.0 and m.true_peak <= -1.5, m
    broadcast = await r.render(doc, tmp_path / "b.mp4", RenderOptions(voice="en", loudness=-23))
    m = ebur128(broadcast.video)
    assert abs(m.integrated - (-23.0)) <= 1.0 and m.true_peak <= -1.5, m
    # the same options again: every piece from the cache, the same sound
    again = await r.render(doc, tmp_path / "c.mp4", RenderOptions(voice="en"))
    assert r.audio_pieces_encoded == 6
    assert ebur128(again.video) == ebur128(default.video)


async def test_room_tone_replaces_digital_silence(tmp_path: Path) -> None:
    r = renderer(tmp_path)
    doc = document_from_bytes(DOC.encode(), "talk.md", None)
    plain = await r.render(doc, tmp_path / "a.mp4", RenderOptions(voice="en"))
    toned = await r.render(doc, tmp_path / "b.mp4", RenderOptions(voice="en", room_tone=True))
    m = ebur128(toned.video)
    assert abs(m.integrated - (-16.0)) <= 1.0 and m.true_peak <= -1.5, m
    (a,), rate = decoded(plain.video)
    (b,), _ = decoded(toned.video)
    # the pause between scenes (where the plain track is silent): quiet noise, never digital silence
    cut = rate // 10
    windows = [(i, i + cut) for i in range(rate, len(a) - cut, cut)]
    silent = [(i, j) for i, j in windows if np.abs(a[i:j]).max() < 1e-4]
    assert len(silent) >= 3, "the plain render has silent pauses"
    for i, j in silent:
        rms = 20 * np.log10(float(np.sqrt(np.mean(b[i:j] ** 2))) + 1e-12)
        assert -72 < rms < -50, rms


async def test_the_joined_track_is_checked_and_an_overshooting_piece_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A piece that passes the true-peak limit where it joins the one before (its first frame is
    rebuilt there from both pieces' blocks) is found in the joined track, encoded again, and cached
    so: the delivered file is under -1.5 dBTP."""
    real = narration.encode_pieces
    made: list[int] = []

    async def overshooting(jobs: list[PieceJob], bitrate: int, true_peak: float, **kw: bool) -> None:
        await real(jobs, bitrate, true_peak, **kw)
        made.append(len(jobs))
        if len(made) == 1:  # the first batch: a burst at 0 dBFS in the second scene's first frame
            job = jobs[1]
            loud = job.samples.copy()
            loud[0, 100:900] = np.sin(np.arange(800) * 2 * np.pi * 1000 / 48000)
            job.aac.write_bytes(encode_aac(loud, bitrate))

    monkeypatch.setattr(narration, "encode_pieces", overshooting)
    r = renderer(tmp_path)
    doc = document_from_bytes(DOC.encode(), "talk.md", None)
    result = await r.render(doc, tmp_path / "a.mp4", RenderOptions(voice="en"))
    assert made == [3, 1], "the loud piece was encoded again, alone"
    m = ebur128(result.video)
    assert m.true_peak <= -1.5 and abs(m.integrated - (-16.0)) <= 1.0, m
    again = await r.render(doc, tmp_path / "b.mp4", RenderOptions(voice="en"))
    assert made == [3, 1] and ebur128(again.video) == m, "the corrected piece came from the cache"


async def test_piper_render_meets_the_loudness_target(tmp_path: Path) -> None:
    model = packaged_model()
    r = renderer(tmp_path)
    doc = document_from_bytes(DOC.encode(), "talk.md", None)
    result = await r.render(doc, tmp_path / "p.mp4", RenderOptions(voice=f"piper:{model}"))
    assert audio_stream(result.video) == ("aac", 48000, 1)
    m = ebur128(result.video)
    assert abs(m.integrated - (-16.0)) <= 1.0 and m.true_peak <= -1.5, m


def test_loudness_option_is_validated() -> None:
    assert (
        parse_render_options({"loudness": -14}, trust=Trust.CALLER, settings=load_settings()).loudness == -14
    )
    for bad in (5, -40, "loud"):
        with pytest.raises(InputError, match="loudness"):
            parse_render_options({"loudness": bad}, trust=Trust.CALLER, settings=load_settings())


def test_cli_loudness_and_room_tone_flags(cli: CLI) -> None:
    src = cli.cwd / "a.md"
    src.write_text("# Loud\n\nThis video is louder than the default, for a phone.")
    result = cli.run("render", str(src), "-o", "out.mp4", "--loudness", "-14", "--room-tone", "-q")
    assert result.returncode == 0, result.stderr
    m = ebur128(cli.cwd / "out.mp4")
    assert abs(m.integrated - (-14.0)) <= 1.0 and m.true_peak <= -1.5, m
    bad = cli.run("render", str(src), "-o", "bad.mp4", "--loudness", "3")
    assert bad.returncode == 2 and len(bad.stderr.decode().strip().splitlines()) == 1, bad.stderr
    assert not (cli.cwd / "bad.mp4").exists()
