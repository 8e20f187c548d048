"""What an edited render with music does again (issue 14's re-render goal): the music decoded and hashed
once per file (kept by the process, and in the cache for the next one), the bed made window by window
exactly as the whole bed, and only the pieces whose samples changed encoded again, as one stream."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from app.core.memory_optimizer import DiskCache
from app.services.audio import RATE, Music, Sound, aac, bed, mix
from app.services.audio.loudness import true_peak
from app.services.audio.music import Fades, ducking
from tests.sound_support import decoded
from tests.test_music import tone_file

FRAME = 1024


class Counted:
    """Counts the calls of a function it wraps (and passes them on)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> None:
        self.real = getattr(module, name)
        self.calls = 0
        monkeypatch.setattr(module, name, self)

    def __call__(self, *args: object, **kwargs: object) -> object:
        self.calls += 1
        return self.real(*args, **kwargs)


def voice(lengths: list[int], keys: tuple[str, ...]) -> mix.Voice:
    """A narration of scenes (`lengths` in AAC frames) laid end to end after the priming frame, each a
    pause with one "word" in its middle (a 1 kHz burst, 0.4 s: the music ducks there)."""
    spans, at = [], FRAME
    for n in lengths:
        spans.append((at, at + n * FRAME))
        at += n * FRAME
    word = int(0.4 * RATE)
    voiced = tuple(((a + b - word) // 2, (a + b + word) // 2) for a, b in spans)

    def samples(i: int) -> np.ndarray:
        x = np.zeros(lengths[i] * FRAME, dtype=np.float32)
        at = voiced[i][0] - spans[i][0]
        x[at : at + word] = 0.1 * np.sin(np.arange(word) * 2 * np.pi * 1000 / RATE)
        return x

    async def nothing(_: object) -> None:
        return None

    return mix.Voice(tuple(spans), keys, samples, nothing, -16.0, voiced)


def words(v: mix.Voice) -> list[tuple[float, float]]:
    """When the words are spoken, in seconds (the middle 0.4 s of each scene)."""
    return [(round((a + b) / 2 / RATE - 0.2, 3), round((a + b) / 2 / RATE + 0.2, 3)) for a, b in v.spans]


@pytest.fixture
def kept(monkeypatch: pytest.MonkeyPatch) -> bed.Kept:
    """A fresh process's memory of decoded tracks (what this test module's renders keep)."""
    fresh = bed.Kept(bed.KEPT_TRACKS)
    monkeypatch.setattr(bed, "DECODED", fresh)
    return fresh


async def test_an_edit_that_moves_the_music_encodes_the_scenes_after_it_as_one_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: bed.Kept
) -> None:
    music = Music((tone_file(tmp_path / "tone.wav", 2.3, 440.0),), level=0.0)  # loops under the scenes
    cache = DiskCache(tmp_path / "cache")
    runs = Counted(monkeypatch, mix, "encode_pieces")  # a run: one stream (its parts join as one)
    hashed = Counted(monkeypatch, bed, "hash_file")

    async def render(name: str, v: mix.Voice) -> tuple[int, np.ndarray]:
        out, work = tmp_path / f"{name}.aac", tmp_path / name
        work.mkdir()
        done = await mix.mix_music(v, words(v), [], music, Sound(), out, work, cache, asyncio.Semaphore(1))
        (left, _), _ = decoded(out)
        assert len(left) == v.spans[-1][1]
        return done.encoded, left

    lengths, keys = [61, 47, 83, 55, 40, 52], ("a", "b", "c", "d", "e", "f")
    encoded, _ = await render("first", voice(lengths, keys))
    assert encoded == 6 and runs.calls == 1, "six scenes, one run"
    assert kept.decodes == 1 and hashed.calls == 1
    # scene 3 gets longer: the music under scenes 3-6 moves; scene 2's piece, whose context reaches
    # only into scene 3's pause (silence, the same music), is kept
    edited = voice([61, 47, 90, 55, 40, 52], ("a", "b", "c2", "d", "e", "f"))
    encoded, left = await render("edited", edited)
    assert encoded == 4 and runs.calls == 2, "scenes 3-6 again, as one more run"
    assert kept.decodes == 1 and hashed.calls == 1, "the music was neither decoded nor hashed again"
    # the old second piece beside the new stream: no click at the join (the tone's own curvature)
    join = edited.spans[2][0]
    bend = np.abs(np.diff(left, 2))
    assert bend[join - FRAME : join + FRAME].max() < 1.5 * bend[join + 4 * FRAME : join + 30 * FRAME].max()
    # a scene after the edit changed in place (same length, its pauses silent): only its own piece
    encoded, _ = await render("again", voice([61, 47, 90, 55, 40, 52], ("a", "b", "c2", "d", "e2", "f")))
    assert encoded == 1 and runs.calls == 3
    # with room tone in the pauses a neighbour's context hears the edited scene: made again too
    cache = DiskCache(tmp_path / "toned")
    for name, k in (("toned", "e2"), ("toned-edited", "e3")):
        toned = replace(voice([61, 47, 90, 55, 40, 52], ("a", "b", "c2", "d", k, "f")), voiced=None)
        encoded, _ = await render(name, toned)
    assert encoded == 3


async def test_decoded_music_is_kept_and_found_again_by_a_new_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: bed.Kept
) -> None:
    track = tone_file(tmp_path / "tone.wav", 3.0, 440.0)
    cache = DiskCache(tmp_path / "cache")
    hashed = Counted(monkeypatch, bed, "hash_file")
    work = tmp_path / "w"
    work.mkdir()
    (first,) = await bed.load_tracks([track], 60.0, work, cache)
    assert first.samples.dtype == np.int16 and first.length == 3 * RATE
    assert kept.decodes == 1 and hashed.calls == 1
    (again,) = await bed.load_tracks([track], 60.0, work, cache)
    assert again is first and kept.hits == 1, "kept by the process: not even read again"
    # a new process: the digest and the decoded samples come from the cache, nothing is decoded
    fresh = bed.Kept(bed.KEPT_TRACKS)
    monkeypatch.setattr(bed, "DECODED", fresh)
    (other,) = await bed.load_tracks([track], 60.0, work, cache)
    assert fresh.decodes == 0 and hashed.calls == 1
    assert np.array_equal(other.samples, first.samples) and other.loudness == first.loudness
    # the file changes (same path): hashed and decoded again, and heard
    tone_file(track, 3.0, freq=880.0)
    info = track.stat()
    os.utime(track, ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))  # whatever the clock's grain
    (changed,) = await bed.load_tracks([track], 60.0, work, cache)
    assert fresh.decodes == 1 and hashed.calls == 2 and changed.digest != first.digest
    assert not np.array_equal(changed.samples, first.samples)


def test_any_window_of_the_bed_is_the_whole_bed_there_and_keeps_its_key_before_an_edit() -> None:
    """Windows made alone (across loop points, a playlist's switches, the fades and the ducking)
    equal the bed made whole; a longer track keeps the keys of the windows that did not change."""
    rng = np.random.default_rng(7)
    tracks = tuple(
        bed.Track(str(n), (rng.standard_normal((int(s * RATE), 2)) * 3000).astype(np.int16), -20.0, 0.5)
        for n, s in enumerate((2.3, 3.1))
    )
    music = Music((), level=12.0)

    def make(length: int, playlist: bool) -> bed.Bed:
        used = tracks if playlist else tracks[:1]
        parts = bed.playlist_parts([t.length for t in used], [2.0, 4.5, 7.25], length)
        speech = [(1.0, 1.8), (3.0, 3.9), (6.0, 8.0)]
        return bed.Bed(
            used, (0.5,) * len(used), tuple(parts), length, ducking(speech, length, music), Fades(length)
        )

    for playlist in (False, True):
        whole = make(10 * RATE, playlist)
        full = whole.window(0, whole.length)
        assert np.abs(full).max() > 0.01
        for lo, hi in [
            (0, 4000),
            (2 * RATE - 77, 3 * RATE + 5),
            (int(4.4 * RATE), 6 * RATE),
            (9 * RATE, 10 * RATE),
        ]:
            assert np.allclose(whole.window(lo, hi), full[:, lo:hi], atol=1e-6), (playlist, lo, hi)
        longer = make(12 * RATE, playlist)
        assert longer.key(0, 5 * RATE) == whole.key(0, 5 * RATE)
        assert np.allclose(longer.window(0, 5 * RATE), full[:, : 5 * RATE], atol=1e-6)
        assert longer.key(8 * RATE, 10 * RATE) != whole.key(8 * RATE, 10 * RATE), "the fade out moved"


def test_the_ducked_share_of_the_bed_is_its_samples_squared_gains() -> None:
    """The power the ducking leaves (which sets the bed's level), summed in closed form per ramp, is
    the mean of every sample's squared gain, ramps cut by the track's start and end included."""
    music = Music((), duck=15.0, attack=0.15, release=0.4)
    length = 9 * RATE
    duck = ducking([(0.05, 1.0), (1.3, 2.0), (4.0, 6.5), (8.8, 9.5)], length, music)
    assert duck.stretches[0][2] < 0 and duck.stretches[-1][3] > length / RATE, "cut at both ends"
    gains = np.ones(length)
    for stretch in duck.stretches:
        i0, i1 = stretch[:2]
        gains[i0:i1] = duck.gains(stretch, i0, i1)
    assert abs(duck.share - float(np.mean(gains**2))) < 1e-9
    assert duck.share < 0.6


def test_in_process_aac_has_one_priming_frame_and_whole_frames() -> None:
    x = (0.1 * np.sin(np.arange(37 * FRAME) * 2 * np.pi * 440 / RATE)).astype(np.float32)
    for channels in (1, 2):
        frames = aac.adts_frames(aac.encode_aac(np.stack([x] * channels), 128))
        assert len(frames) == 38


def test_in_process_aac_gives_back_a_voice_like_sound_closely() -> None:
    """The coder (libavcodec's fast one) keeps a voice-like sound: a gliding pitch with 29 harmonics
    and a syllable-rate envelope comes back with the error 30 dB under the signal (it measures ~49)
    and the energy of each band within 0.5 dB."""
    t = np.arange(3 * RATE) / RATE
    phase = 2 * np.pi * np.cumsum(140 + 40 * np.sin(2 * np.pi * 1.3 * t)) / RATE
    x = sum(np.sin(k * phase) / k for k in range(1, 30)) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)) ** 2
    x = (0.2 * x / np.abs(x).max()).astype(np.float32)
    encoded = aac.encode_aac(x[None, :], 128)
    y = aac.decode(Path("voice.aac"), 1, aac.adts_frames(encoded))[0][FRAME : FRAME + len(x)]
    assert 10 * np.log10(np.sum(x**2) / np.sum((y - x) ** 2)) > 30
    freqs = np.fft.rfftfreq(len(x), 1 / RATE)
    source, back = np.abs(np.fft.rfft(x)) ** 2, np.abs(np.fft.rfft(y)) ** 2
    for lo, hi in ((100, 300), (300, 1000), (1000, 3000), (3000, 6000)):
        band = (freqs >= lo) & (freqs < hi)
        assert abs(10 * np.log10(back[band].sum() / source[band].sum())) < 0.5, (lo, hi)


def test_a_piece_encoded_in_parts_at_once_is_one_stream_frame_for_frame() -> None:
    """A piece cut into parts for two encoders (`encode_pieces`' lanes) is cut where it is quiet
    (a pause near the middle) and joins as one stream does: the same frames, the tone around a cut
    through sound (no pause to find) without a click, the voice as close to its source."""
    t = np.arange(300 * FRAME) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
    paused = tone.copy()
    paused[:, 140 * FRAME : 143 * FRAME] = 0.0  # a pause short of the middle (frame 150)
    assert aac.cuts(paused, 2) == [(0, 141), (141, 300)], "the join falls in the pause"
    assert aac.cuts(tone, 2) == [(0, 150), (150, 300)]
    assert aac.cuts(tone[:, : 90 * FRAME], 2) == [(0, 90)], "too short to share"
    one = aac.encode_aac(tone, 128)
    parts = b"".join(f for a, b in aac.cuts(tone, 2) for f in aac.encode_part(tone, a, b, 128))
    assert len(aac.adts_frames(parts)) == len(aac.adts_frames(one)) == 301
    (x,) = aac.decode(Path("one.aac"), 1, aac.adts_frames(one))
    (y,) = aac.decode(Path("parts.aac"), 1, aac.adts_frames(parts))
    cut = 151 * FRAME  # the decoded stream's samples are one (priming) frame late
    bend, ref = np.abs(np.diff(y, 2)), np.abs(np.diff(x, 2))
    assert bend[cut - FRAME : cut + FRAME].max() < 1.5 * ref[cut - FRAME : cut + FRAME].max()
    source = tone[0]
    error = 10 * np.log10(np.sum(source**2) / np.sum((y[FRAME:] - source) ** 2))
    assert error > 30, error


async def test_pieces_whose_encoding_passes_the_limit_are_lowered_and_encoded_again(tmp_path: Path) -> None:
    """Sawtooth bursts just under the limit come out of the encoder over it (its ringing); each job is
    checked in two stretches at once (each decoded as the whole stream decodes it), and the ones over
    are lowered and encoded again: decoded whole, every piece ends under the limit."""
    t = np.arange(200 * FRAME) / RATE
    saw = (2 * ((t * 220) % 1.0) - 1) * (np.sin(2 * np.pi * 2 * t) > 0)
    loud = (saw * 10 ** (-1.6 / 20)).astype(np.float32)
    limit = -1.5 - aac.CHECK_MARGIN

    def peak(path: Path, channels: int) -> float:
        return max(20 * np.log10(true_peak(c[FRAME:])) for c in aac.decode(path, channels))

    jobs = [
        aac.PieceJob(np.stack([loud, loud]), tmp_path / "stereo.aac"),
        aac.PieceJob(loud[None, : 60 * FRAME].copy(), tmp_path / "short.aac"),
        aac.PieceJob(0.1 * loud[None, :], tmp_path / "quiet.aac", peak=-21.6),
    ]
    for job in jobs[:2]:
        job.aac.write_bytes(aac.encode_aac(job.samples, 128))
        assert peak(job.aac, job.channels) > limit, "the encoder makes peaks the samples did not have"
    await aac.encode_pieces(jobs, 128, -1.5)
    for job in jobs[:2]:
        assert peak(job.aac, job.channels) <= limit
    assert np.array_equal(jobs[2].samples, 0.1 * loud[None, :]), (
        "far under the limit: not checked, not lowered"
    )


async def test_runs_encoded_one_after_another_make_the_same_sound_as_one_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: bed.Kept
) -> None:
    """Every piece its own run (mixed from shared scenes while the one before encodes): the joined
    track is the one-stream track, frame by frame, without a click at any join."""
    music = Music((tone_file(tmp_path / "tone.wav", 2.3, 440.0),), level=0.0)
    v = voice([61, 47, 83, 55, 40, 52], ("a", "b", "c", "d", "e", "f"))

    async def render(name: str) -> tuple[np.ndarray, int]:
        out, work = tmp_path / f"{name}.aac", tmp_path / name
        work.mkdir()
        cache = DiskCache(tmp_path / f"cache-{name}")
        done = await mix.mix_music(v, words(v), [], music, Sound(), out, work, cache, asyncio.Semaphore(1))
        (left, _), _ = decoded(out)
        return left, done.encoded

    one, _ = await render("one")
    monkeypatch.setattr(mix, "RUN_SECONDS", 0.0)
    encoders = Counted(monkeypatch, aac, "encode_aac")
    many, encoded = await render("many")
    assert encoded == 6 and encoders.calls == 6
    frames = len(one) // FRAME
    level = [
        20 * np.log10(np.sqrt(np.mean(x[k * FRAME : (k + 1) * FRAME] ** 2)) + 1e-9)
        for x in (one, many)
        for k in range(frames)
    ]
    ducked = np.array(level[:frames]) > -60  # frames with music in them (past the fade in)
    assert np.abs(np.array(level[:frames]) - np.array(level[frames:]))[ducked].max() < 0.5
    bend, ref = np.abs(np.diff(many, 2)), np.abs(np.diff(one, 2))
    for a, _ in v.spans[1:]:
        assert bend[a - FRAME : a + FRAME].max() < 1.5 * ref[a - FRAME : a + FRAME].max()
