"""Background music (issue 14, item 3): measured on real renders: loudness with music, the music ducked
by >= 12 dB while words are spoken, no click at the loop point, the mix cached; bad music refused."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from app.config import load_settings
from app.core.memory_optimizer import DiskCache, WorkspaceManager
from app.core.queue_manager import Trust
from app.core.resource_manager import ResourceManager
from app.errors import InputError
from app.services.audio import RATE, Music, Sound, mix
from app.services.documents import document_from_bytes
from app.services.models import RenderOptions
from app.services.options import parse_render_options
from app.services.pipeline import Renderer
from app.services.video import ffmpeg_exe
from tests.conftest import CLI
from tests.sound_support import audio_stream, decoded, ebur128
from tests.test_tts_piper import packaged_model

DOC = "\n\n".join(
    f"# Part {i}\n\nThis is part number {i} of the talk. It says a sentence or two, then stops."
    for i in range(1, 4)
)
TONE = 60.0  # Hz: below a voice's fundamental, so a narrow band at it hears only the music


def renderer(tmp_path: Path) -> Renderer:
    return Renderer(
        WorkspaceManager(tmp_path / "tmp"),
        ResourceManager(),
        DiskCache(tmp_path / "cache"),
        settings=load_settings(),
    )


def tone_file(path: Path, seconds: float, freq: float = TONE) -> Path:
    """A pure tone, encoded the way music arrives (MP3 for .mp3, else by the suffix)."""
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=f={freq}:d={seconds}",
         "-ac", "2", str(path)],
        check=True,
    )  # fmt: skip
    return path


def band_levels(x: np.ndarray, rate: int, step: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Per `step` window: the tone's level (dB, a 0.2 s Hann window's DFT at TONE) and the voice band's
    (300-3400 Hz energy, dB)."""
    hop, size = int(step * rate), int(0.2 * rate)
    starts = range(0, len(x) - size, hop)
    window = np.hanning(size)
    freqs = np.fft.rfftfreq(size, 1 / rate)
    at = int(np.argmin(np.abs(freqs - TONE)))
    voice_band = (freqs >= 300) & (freqs <= 3400)
    tone, voice = [], []
    for s in starts:
        spec = np.abs(np.fft.rfft(x[s : s + size] * window))
        tone.append(20 * np.log10(spec[at - 1 : at + 2].max() + 1e-12))
        voice.append(10 * np.log10((spec[voice_band] ** 2).sum() + 1e-12))
    return np.array(tone), np.array(voice)


async def test_music_is_ducked_under_words_and_meets_loudness(tmp_path: Path) -> None:
    r = renderer(tmp_path)
    doc = document_from_bytes(DOC.encode(), "talk.md", None)
    music = tone_file(tmp_path / "tone.mp3", 40)  # longer than the talk: its level is the bed alone
    opts = RenderOptions(voice="en", music=str(music))
    result = await r.render(doc, tmp_path / "m.mp4", opts)
    assert audio_stream(result.video) == ("aac", 48000, 2), "stereo with music, 48 kHz"
    m = ebur128(result.video)
    assert abs(m.integrated - (-16.0)) <= 1.0 and m.true_peak <= -1.5, m
    (left, _), rate = decoded(result.video)
    tone, voice = band_levels(left, rate)
    loud = voice.max()
    speaking = voice > loud - 20
    hop = 0.05
    near = int(0.45 / hop)  # windows at least 0.45 s from any voice: past attack and release
    spoken_idx = np.flatnonzero(voice > loud - 50)
    far = np.array(
        [i for i in range(len(voice)) if not len(spoken_idx) or np.abs(spoken_idx - i).min() > near]
    )
    body = (far * hop > 0.55) & (far * hop < result.duration - 1.75)  # not in the fades
    pauses = far[body]
    assert len(pauses) >= 4 and speaking.sum() >= 20
    ducked = float(np.median(tone[speaking]))
    bed = float(np.median(tone[pauses]))
    assert bed - ducked >= 12, (bed, ducked)
    # the same narration and music: the mix comes from the cache
    assert r.music_mixes == 1
    again = await r.render(doc, tmp_path / "m2.mp4", opts)
    assert r.music_mixes == 1 and ebur128(again.video) == m


def test_the_loop_point_has_no_click() -> None:
    """A tone cut at an arbitrary phase, looped: no click (a spike in the second difference) where the
    loop joins, where a plain repeat has one."""
    from app.services.audio.music import loop_window

    t = np.arange(int(1.37 * RATE)) / RATE
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    track = np.stack([tone, tone])
    out = loop_window(track, 0, 5 * RATE, 5 * RATE)
    bend = float(np.abs(np.diff(tone, 2)).max())  # the tone's own curvature
    # the crossfade may sum the tone with itself up to sqrt(2) in amplitude, never jump
    assert float(np.abs(np.diff(out[0], 2)).max()) <= bend * 1.5
    naive = np.concatenate([tone, tone])
    assert float(np.abs(np.diff(naive, 2)).max()) > bend * 10, "the plain repeat clicks"


async def test_music_pieces_join_without_a_click_and_an_edit_encodes_only_its_neighbours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stereo mix is one AAC piece per scene; the music plays on across the joins. Joined, the
    tone has no click (spike in the second difference) and no dip at any join, where pieces encoded
    without the mix around them have one; a changed scene encodes again only the pieces that touch it."""
    frame = 1024
    music = Music((tone_file(tmp_path / "tone.wav", 2.3, 440.0),), level=0.0)  # loops twice or so
    cache = DiskCache(tmp_path / "cache")

    def layout(lengths: list[int]) -> list[tuple[int, int]]:
        spans, at = [], frame
        for n in lengths:
            spans.append((at, at + n * frame))
            at += n * frame
        return spans

    async def nothing(_: object) -> None:
        return None

    async def mixed(name: str, keys: tuple[str, ...], lengths: list[int]) -> tuple[np.ndarray, int]:
        voice = mix.Voice(
            spans=tuple(layout(lengths)),
            keys=keys,
            samples=lambda i: np.zeros(lengths[i] * frame, dtype=np.float32),
            prepare=nothing,
            loudness=-16.0,
        )
        out, work = tmp_path / f"{name}.aac", tmp_path / name
        work.mkdir()
        done = await mix.mix_music(voice, [], [], music, Sound(), out, work, cache, asyncio.Semaphore(2))
        (left, _), _ = decoded(out)
        assert len(left) == (sum(lengths) + 1) * frame
        return left, done.encoded

    lengths = [61, 47, 83, 55]  # frames per scene
    joins = [a for a, _ in layout(lengths)[1:]]
    whole, _ = await mixed("whole", ("all",), [sum(lengths)])  # the same music as one piece

    def worst(x: np.ndarray) -> tuple[float, float]:
        """At the joins: the largest second difference (over the one-piece encoding's), and the
        largest level difference of a frame from the one-piece encoding (dB)."""
        bend, ref = np.abs(np.diff(x, 2)), np.abs(np.diff(whole, 2))
        near = [slice(j - frame, j + frame) for j in joins]
        spike = max(float(bend[w].max() / ref[w].max()) for w in near)
        rms = [
            20 * np.log10(np.sqrt(np.mean(y[j + k * frame : j + (k + 1) * frame] ** 2)))
            for y in (x, whole)
            for j in joins
            for k in (-1, 0, 1)
        ]
        half = len(rms) // 2
        return spike, max(abs(p - q) for p, q in zip(rms[:half], rms[half:], strict=True))

    left, encoded = await mixed("joined", ("a", "b", "c", "d"), lengths)
    assert encoded == 4
    spike, level = worst(left)
    assert spike < 1.5 and level < 0.5, (spike, level)
    # the last scene changed: its piece and the one before (its mix reaches into it) are made again,
    # as one encoder's stream that joins the older pieces without a click
    edited, encoded = await mixed("edited", ("a", "b", "c", "d2"), lengths)
    assert encoded == 2
    spike, level = worst(edited)
    assert spike < 1.5 and level < 0.5, (spike, level)
    # pieces encoded alone, without the mix around them, click at the joins
    monkeypatch.setattr(mix, "LEAD_FRAMES", 0)
    monkeypatch.setattr(mix, "TRAIL_FRAMES", 0)
    monkeypatch.setattr(mix, "RUN_SECONDS", 0.0)  # each piece its own encoder
    naive, _ = await mixed("naive", ("A", "B", "C", "D"), lengths)
    spike, level = worst(naive)
    assert spike > 3 and level > 2, (spike, level)


async def test_piper_with_music_meets_loudness(tmp_path: Path) -> None:
    model = packaged_model()
    r = renderer(tmp_path)
    doc = document_from_bytes(DOC.encode(), "talk.md", None)
    music = tmp_path / "noise.wav"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "anoisesrc=d=6:c=pink:a=0.2",
         "-ac", "2", str(music)],
        check=True,
    )  # fmt: skip
    opts = RenderOptions(voice=f"piper:{model}", music=str(music), loudness=-14)
    result = await r.render(doc, tmp_path / "p.mp4", opts)
    m = ebur128(result.video)
    assert abs(m.integrated - (-14.0)) <= 1.0 and m.true_peak <= -1.5, m


def test_a_folder_picks_one_track_by_seed() -> None:
    tracks = tuple(Path(f"/m/{n}.mp3") for n in "abcde")
    picks = {Music(tracks, seed=s).order() for s in range(20)}
    assert all(len(p) == 1 for p in picks) and len(picks) > 1
    assert Music(tracks, seed=3).order() == Music(tracks, seed=3).order()
    assert sorted(Music(tracks, seed=3, playlist=True).order()) == sorted(tracks)


def test_bad_music_exits_2_with_one_line(cli: CLI, tmp_path: Path) -> None:
    src = cli.cwd / "a.md"
    src.write_text("# Music\n\nA short talk with music under it.")
    corrupt = tmp_path / "corrupt.mp3"
    corrupt.write_bytes(os.urandom(50_000))
    short = tone_file(tmp_path / "short.wav", 0.2)
    huge = tmp_path / "huge.mp3"
    with open(huge, "wb") as f:  # 2 GB, sparse: refused by its size, never read
        f.truncate(2 * 1024**3)
    cases = [
        (tmp_path / "missing.mp3", "not found"),
        (corrupt, "not audio"),
        (short, "shorter than 1 s"),
        (huge, "the limit is 100 MB"),
    ]
    for music, words in cases:
        result = cli.run("render", str(src), "-o", "out.mp4", "--music", str(music), "-q")
        err = result.stderr.decode()
        assert result.returncode == 2, (music, err)
        assert len(err.strip().splitlines()) == 1 and words in err, (music, err)
        assert not (cli.cwd / "out.mp4").exists()
    small_limit = cli.run(
        "render", str(src), "-o", "out.mp4", "--music", str(short), "--max-music-size", "100", "-q"
    )
    assert small_limit.returncode == 2 and b"the limit is" in small_limit.stderr


def test_callers_choose_music_by_name_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "music"
    folder.mkdir()
    tone_file(folder / "calm.mp3", 2.0)
    monkeypatch.setenv("T2V_MUSIC_DIR", str(folder))
    assert (
        parse_render_options({"music": "calm.mp3"}, trust=Trust.CALLER, settings=load_settings()).music
        == "calm.mp3"
    )
    assert parse_render_options({"music": "*"}, trust=Trust.CALLER, settings=load_settings()).music == "*"
    for bad in (str(folder / "calm.mp3"), "../music/calm.mp3", "other.mp3"):
        with pytest.raises(InputError, match="GET /v1/music"):
            parse_render_options({"music": bad}, trust=Trust.CALLER, settings=load_settings())
    with pytest.raises(InputError, match="operator"):
        parse_render_options(
            {"music": "calm.mp3", "max_music_bytes": 10**12}, trust=Trust.CALLER, settings=load_settings()
        )


def test_the_service_lists_its_music_and_refuses_other_music(tmp_path: Path) -> None:
    from tests.service import served

    folder = tmp_path / "music"
    folder.mkdir()
    tone_file(folder / "calm.mp3", 2.0)
    (folder / "notes.txt").write_text("not music")
    with served(tmp_path, "--workers", "0", T2V_API_KEYS="key-a", T2V_MUSIC_DIR=str(folder)) as server:
        client = server.client("key-a")
        listed = client.get("/v1/music")
        assert listed.status_code == 200
        assert [t["name"] for t in listed.json()] == ["calm.mp3"]
        ok = client.post("/v1/jobs", json={"text": "Hello.", "options": {"music": "calm.mp3"}})
        assert ok.status_code in (200, 201, 202), ok.text
        for bad in (str(folder / "calm.mp3"), "/etc/passwd", "other.mp3"):
            refused = client.post("/v1/jobs", json={"text": "Hello.", "options": {"music": bad}})
            assert refused.status_code == 422 and "GET /v1/music" in refused.json()["detail"], refused.text
        assert server.client().get("/v1/music").status_code == 401


def test_music_uploaded_with_a_job_plays_under_it_and_is_purged_with_it(tmp_path: Path) -> None:
    """A multipart job may carry its own music (`music` file): checked at submit (size before
    reading, at least 1 s of audio, not beside options.music: 422 with a message, nothing kept),
    kept with the job's files, mixed under the voice, and deleted when the job is purged."""
    from tests.service import read_events, served

    tone = tone_file(tmp_path / "calm.mp3", 3.0)
    short = tone_file(tmp_path / "short.mp3", 0.2)
    big = tone_file(tmp_path / "big.wav", 3.0)  # 48 kHz stereo PCM: ~570 kB
    doc = ("talk.md", b"# Music\n\nA short talk with its own music under it.", "text/markdown")
    env = {"T2V_API_KEYS": "key-a", "T2V_MAX_MUSIC_BYTES": "200000"}
    with served(tmp_path, "--workers", "1", **env) as server:
        client = server.client("key-a")
        uploads = server.data_dir / "artifacts" / ".uploads"
        refused = {
            "short": {"music": ("short.mp3", short.read_bytes(), "audio/mpeg")},
            "not audio": {"music": ("fake.mp3", b"this is not audio at all" * 50, "audio/mpeg")},
            "too large": {"music": ("big.wav", big.read_bytes(), "audio/wav")},
            "suffix": {"music": ("calm.exe", tone.read_bytes(), "audio/mpeg")},
        }
        for why, files in refused.items():
            answer = client.post("/v1/jobs", files={"file": doc, **files})
            assert answer.status_code == 422, (why, answer.text)
            assert answer.json()["detail"].startswith("music file"), (why, answer.text)
        both = client.post(
            "/v1/jobs",
            files={"file": doc, "music": ("calm.mp3", tone.read_bytes(), "audio/mpeg")},
            data={"options": json.dumps({"music": "calm.mp3"})},
        )
        assert both.status_code == 422 and "not both" in both.json()["detail"], both.text
        assert not uploads.exists() or not any(uploads.iterdir()), "nothing refused is kept"

        created = client.post(
            "/v1/jobs", files={"file": doc, "music": ("calm.mp3", tone.read_bytes(), "audio/mpeg")}
        )
        assert created.status_code == 202, created.text
        job = created.json()
        files = server.data_dir / "artifacts" / job["id"]
        events = read_events(client, job["links"]["self"] + "/events")
        done = events[-1][1]
        assert done["status"] == "completed", done
        assert [p.suffix for p in files.glob("music-*")] == [".mp3"]
        video = tmp_path / "out.mp4"
        video.write_bytes(client.get(done["links"]["video"]).content)
        assert audio_stream(video) == ("aac", 48000, 2), "stereo: the music is under the voice"
        (left, _), rate = decoded(video)
        tone_level, _ = band_levels(left, rate)
        assert tone_level[: int(0.8 / 0.05)].max() > -40, "the tone plays in the intro"
        assert not any(uploads.iterdir())
        # an edit of its storyboard re-renders with the same music, kept in the new job's files
        url = f"/v1/jobs/{job['id']}/storyboard"
        board = client.get(url).json()
        board["scenes"][0]["narration"] = "An edited talk, the same music under it."
        child = client.put(url, json=board)
        assert child.status_code == 202, child.text
        redone = read_events(client, child.json()["links"]["self"] + "/events")[-1][1]
        assert redone["status"] == "completed", redone
        video.write_bytes(client.get(redone["links"]["video"]).content)
        assert audio_stream(video) == ("aac", 48000, 2)
        purged = client.delete(f"/v1/jobs/{job['id']}", params={"purge": 1})
        assert purged.status_code == 200, purged.text
        assert not files.exists(), "the music went with the job's files"
        kept = server.data_dir / "artifacts" / child.json()["id"]
        assert len(list(kept.glob("music-*.mp3"))) == 1, "the re-render keeps its own"


def test_a_playlist_changes_track_at_the_first_scene_boundary_after_a_track_ends() -> None:
    from app.services.audio.bed import Bed, Track, playlist_parts

    def tone(freq: float, seconds: float) -> Track:
        t = np.arange(int(seconds * RATE)) / RATE
        x = np.round(0.3 * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)
        return Track(str(freq), np.stack([x, x], axis=1), None, 0.0)

    tracks = (tone(100, 2.0), tone(300, 3.0))
    length = 10 * RATE
    parts = playlist_parts([t.length for t in tracks], [1.5, 2.5, 4.0, 7.0], length)
    bed = Bed(tracks, (1.0, 1.0), tuple(parts), length, None, None).window(0, length)  # unfaded, not ducked

    def dominant(start: float, end: float) -> float:
        x = bed[0, int(start * RATE) : int(end * RATE)]
        spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
        return float(np.fft.rfftfreq(len(x), 1 / RATE)[spectrum.argmax()])

    # A plays out at 2 s and loops until the boundary at 2.5 s; B then plays until 5.5 s and loops
    # until 7 s; then A again
    assert dominant(0.2, 2.4) == pytest.approx(100, abs=2)
    assert dominant(3.6, 6.9) == pytest.approx(300, abs=2)
    assert dominant(8.1, 9.9) == pytest.approx(100, abs=2)
