"""The narration track, built from one AAC piece per scene so that unchanged scenes are never encoded
again.

AAC works in frames of 1024 samples and an encoder starts with one "priming" frame. Each scene's
audio (the pause before it, its speech, silence to the next frame boundary) is therefore padded to
whole frames and encoded alone; the pieces are joined frame by frame, keeping only the first piece's
priming frame. The joins fall inside silence, so nothing is heard at them. The kept priming frame
becomes a 1024-sample lead-in at the start of the track, and every scene's start time accounts for it,
so pictures and captions stay on the samples they belong to.
"""

from __future__ import annotations

import asyncio
import wave
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.config import Settings
from app.core.diskcache import DiskCache, hash_key
from app.core.threads import check_cancelled, run_in_thread
from app.errors import MediaError
from app.services.audio.aac import (
    AAC_FRAME,
    CHECK_MARGIN,
    PieceJob,
    adts_frames,
    encode_pieces,
    joined_overs,
    lowered,
)
from app.services.audio.dynamics import leveled, room_tone
from app.services.audio.level import Level, Sound, choose_level
from app.services.audio.loudness import RATE, Floats, Samples
from app.services.audio.mix import Voice, mix_music
from app.services.audio.music import Music, music_files
from app.services.audio.scenes import SceneAudio, samples_at_rate, scene_speech
from app.services.models import RenderOptions, Speech

CACHE_VERSION = "aac-unit-v5"  # v5: scenes resampled in-process
MUSIC_INTRO = 1.0  # seconds of music before the first word
MUSIC_TAIL = 2.5  # and after the last one (it fades out over the last 1.5 s)
BATCH = 16  # pieces encoded per thread hand-off (and held in memory)
JOINED_ROUNDS = 2  # times the joined track's overshooting pieces are made again


@dataclass(frozen=True)
class AudioUnit:
    """One scene's share of the track at 48 kHz: `lead` samples of silence, the speech, `pad` of silence."""

    speech: Speech
    samples: int
    lead: int
    pad: int

    @property
    def total(self) -> int:
        return self.lead + self.samples + self.pad


@dataclass(frozen=True)
class NarrationPlan:
    units: tuple[AudioUnit, ...]
    offsets: tuple[float, ...]  # when each scene's speech starts in the track, in seconds
    duration: float
    rate: int

    @property
    def pauses(self) -> tuple[float, ...]:
        """Seconds of silence before each scene's speech (the lead of the track's first is its priming)."""
        return tuple(u.lead / self.rate for u in self.units)


@dataclass(frozen=True)
class NarrationTrack:
    """What `encode_narration` did: pieces encoded (cache misses) and the level it chose."""

    encoded: int
    level: Level
    mixed: bool | None = None  # with music: False when mixed now, True when the mix came from the cache


def render_sound(options: RenderOptions, narration: Sequence[str], settings: Settings) -> Sound:
    """A render's `Sound`: its loudness and room tone, and its music with the files found and checked
    by size (decoded later); a folder's track is picked by the seed, by default one from the narration.
    `settings`: the operator's music folder, size limit and ducking (the renderer's, handed in)."""
    music = None
    if options.music:
        limit = options.max_music_bytes or settings.max_music_bytes
        files = music_files(options.music, settings.music_dir, limit)
        seed = options.music_seed
        if seed is None:
            seed = zlib.crc32("\n".join(narration).encode("utf-8"))
        music = Music(
            files,
            level=options.music_level,
            duck=settings.music_duck,
            attack=settings.music_attack,
            release=settings.music_release,
            playlist=options.music_playlist,
            seed=seed,
        )
    return Sound(loudness=options.loudness, room_tone=options.room_tone, music=music)


def plan_narration(
    speeches: Sequence[Speech],
    pause: float | Sequence[float],
    sound: Sound | None = None,
    trailing: float = 0.0,
) -> NarrationPlan:
    """Lay the scenes out at 48 kHz on whole AAC frames, from the WAV headers alone (each engine's
    rate is converted arithmetically: the resampled audio is cut or padded to that length). `pause`:
    the silence between scenes, or one per scene (the silence after it; a plan scene's `pause_after`).
    `trailing`: silence after the last scene (a silent last scene held on screen, `beats.held_gaps`).
    With music, the music plays alone for a moment before the first word and after the last."""
    intro, tail = (MUSIC_INTRO, MUSIC_TAIL) if sound is not None and sound.music is not None else (0, 0)
    tail += trailing
    if not speeches:
        raise MediaError("nothing to narrate")
    after = [pause] * len(speeches) if isinstance(pause, (int, float)) else list(pause)
    units: list[AudioUnit] = []
    offsets: list[float] = []
    position = AAC_FRAME  # the priming frame of the first piece plays as a short lead-in
    for i, speech in enumerate(speeches):
        with wave.open(str(speech.audio_path), "rb") as w:
            if w.getnchannels() != 1 or w.getsampwidth() != 2:
                raise MediaError(f"scene {i + 1}: expected mono 16-bit speech audio")
            samples = samples_at_rate(w.getnframes(), w.getframerate())
        lead = round(after[i - 1] * RATE) if i else round(intro * RATE)
        end = round(tail * RATE) if i == len(speeches) - 1 else 0
        pad = end + -(lead + samples + end) % AAC_FRAME
        units.append(AudioUnit(speech, samples, lead, pad))
        offsets.append((position + lead) / RATE)
        position += lead + samples + pad
    return NarrationPlan(tuple(units), tuple(offsets), position / RATE, RATE)


async def encode_narration(
    plan: NarrationPlan,
    out: Path,
    workdir: Path,
    cache: DiskCache | None,
    cpu: asyncio.Semaphore,
    sound: Sound | None = None,
) -> NarrationTrack:
    """Write the whole track as ADTS AAC to `out`, at the loudness `sound` asks for. Only pieces the
    cache lacks are resampled, levelled and encoded; hashing, measuring and joining run in threads."""
    sound = sound or Sound()
    scenes = await run_in_thread(
        lambda: [
            scene_speech(u.speech.audio_path, workdir, i, u.speech.digest) for i, u in enumerate(plan.units)
        ]
    )
    audio = SceneAudio(scenes, cache)
    level = await choose_level(audio, plan.pauses, sound)
    if sound.music is not None:
        return await _with_music(plan, audio, level, sound, sound.music, out, workdir, cpu)
    pieces, keys, missing = await run_in_thread(_prepare_pieces, plan, audio, level, sound, workdir)
    await _encode_units(plan, audio, level, sound, missing, cpu)
    await _join_checked(plan, audio, level, sound, pieces, keys, out, cpu)
    return NarrationTrack(len(missing), level)


async def _with_music(
    plan: NarrationPlan,
    audio: SceneAudio,
    level: Level,
    sound: Sound,
    music: Music,
    out: Path,
    workdir: Path,
    cpu: asyncio.Semaphore,
) -> NarrationTrack:
    """The stereo track: the voice's scenes mixed with the music, one stereo piece per scene (`mix`);
    no mono piece is encoded."""
    units = _Units(plan, audio, level, sound, workdir)
    spans = _spans(plan)
    # where each scene's speech is: its pauses are digital silence, unless room tone fills them
    speech = tuple((a + u.lead, a + u.lead + u.samples) for (a, _), u in zip(spans, plan.units, strict=True))
    voice = Voice(
        spans=tuple(spans),
        keys=units.keys,
        samples=units.samples,
        prepare=units.prepare,
        loudness=level.loudness,
        voiced=None if sound.room_tone else speech,
    )
    mixed = await mix_music(
        voice, _speech_intervals(plan), _boundaries(plan), music, sound, out, workdir, audio.cache, cpu
    )
    return NarrationTrack(mixed.encoded, level, mixed.cached)


class _Units:
    """Each scene's share of the track as float samples, for the music mix: levelled and limited
    once, then cached by its piece key (a scene whose music moved is mixed again from them)."""

    def __init__(
        self, plan: NarrationPlan, audio: SceneAudio, level: Level, sound: Sound, workdir: Path
    ) -> None:
        self.plan, self.audio, self.level, self.sound, self.workdir = plan, audio, level, sound, workdir
        self.keys = tuple(_piece_key(audio, i, u, level, sound) for i, u in enumerate(plan.units))

    def _path(self, i: int) -> Path:
        return self.workdir / f"voice-{i:04d}.f32"

    async def prepare(self, indexes: Sequence[int]) -> None:
        """Fetch these scenes' samples from the cache into the workspace, where it has them (the
        others are levelled from their 48 kHz samples when first asked for)."""
        await run_in_thread(self._fetch, indexes)

    def _fetch(self, indexes: Sequence[int]) -> None:
        if (cache := self.audio.cache) is not None:
            for i in indexes:
                cache.fetch(self._cache_key(i), self._path(i), ".f32")

    def _cache_key(self, i: int) -> str:
        return hash_key(CACHE_VERSION, "voice-f32", self.keys[i])

    def samples(self, i: int) -> Samples:
        path = self._path(i)
        if path.exists():
            return np.fromfile(path, dtype="<f4")
        x = _unit_samples(self.plan, self.audio, self.level, self.sound, i, self.keys[i])
        x.astype("<f4").tofile(path)
        if self.audio.cache is not None:
            self.audio.cache.put_file(self._cache_key(i), path, ".f32")
        return x


async def _encode_units(
    plan: NarrationPlan,
    audio: SceneAudio,
    level: Level,
    sound: Sound,
    todo: Sequence[tuple[int, str, Path]],
    cpu: asyncio.Semaphore,
    guides: Mapping[int, Floats] | None = None,
    guide_db: float = 0.0,
) -> None:
    """Encode these scenes' pieces (scene, cache key, aac) and cache them. `guides`: where a scene's
    piece passed the limit in the joined track (decoded peaks per sample): lowered there to `guide_db`."""
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        jobs = await run_in_thread(_unit_jobs, plan, audio, level, sound, batch, guides, guide_db)
        async with cpu:
            await encode_pieces(jobs, sound.bitrate, sound.true_peak)
        if audio.cache is not None:
            await run_in_thread(_store_pieces, audio.cache, [(aac, key) for _, key, aac in batch])


async def _join_checked(
    plan: NarrationPlan,
    audio: SceneAudio,
    level: Level,
    sound: Sound,
    pieces: Sequence[Path],
    keys: Sequence[str],
    out: Path,
    cpu: asyncio.Semaphore,
) -> None:
    """Join the pieces (cache `keys`) into `out`, then measure the joined track: the pieces whose
    decoded peaks pass the limit there are encoded again, lowered where they pass it, and cached so.
    A track found under the limit is remembered (by its pieces' keys), so a cached render does not
    decode it again."""
    checked = hash_key(CACHE_VERSION, "joined", list(keys))
    joined = await run_in_thread(_join_pieces, plan, pieces, out)
    if audio.cache is not None and await run_in_thread(audio.cache.load, checked, ".json") is not None:
        return
    check_at = sound.true_peak - CHECK_MARGIN
    for attempt in range(JOINED_ROUNDS + 1):
        overs = await run_in_thread(joined_overs, out, 1, _spans(plan), check_at, joined)
        if not overs:
            await run_in_thread(audio.store_json, checked, {"true_peak_under": check_at})
            return
        if attempt == JOINED_ROUNDS:
            return  # as good as it gets: each piece's own last check lowered it as a whole
        redo = [(i, keys[i], pieces[i]) for i in sorted(overs)]
        guide_db = check_at - CHECK_MARGIN * (attempt + 1)
        await _encode_units(plan, audio, level, sound, redo, cpu, overs, guide_db)
        joined = await run_in_thread(_join_pieces, plan, pieces, out)


def _spans(plan: NarrationPlan) -> list[tuple[int, int]]:
    """Each scene's samples in the decoded track (after the one priming frame)."""
    spans = []
    position = AAC_FRAME
    for unit in plan.units:
        spans.append((position, position + unit.total))
        position += unit.total
    return spans


def _speech_intervals(plan: NarrationPlan) -> list[tuple[float, float]]:
    """When words are spoken, in seconds of the track (the music ducks there)."""
    return [
        (round(w.start + offset, 3), round(w.end + offset, 3))
        for unit, offset in zip(plan.units, plan.offsets, strict=True)
        for w in unit.speech.words
    ]


def _boundaries(plan: NarrationPlan) -> list[float]:
    """Where one scene gives way to the next: the middle of the pause between them."""
    return [
        round(off - unit.lead / plan.rate / 2, 3)
        for unit, off in zip(plan.units[1:], plan.offsets[1:], strict=True)
    ]


def _piece_key(audio: SceneAudio, i: int, unit: AudioUnit, level: Level, sound: Sound) -> str:
    """What a scene's piece is made from, and the level its decoded peaks were checked against."""
    return hash_key(
        CACHE_VERSION, audio.scenes[i].digest, unit.lead, unit.pad, level.scenes[i], sound.ceiling,
        sound.room_tone, sound.bitrate, sound.true_peak - CHECK_MARGIN,
    )  # fmt: skip


def _prepare_pieces(
    plan: NarrationPlan, audio: SceneAudio, level: Level, sound: Sound, workdir: Path
) -> tuple[list[Path], list[str], list[tuple[int, str, Path]]]:
    """Each scene's AAC piece and its cache key, the piece fetched from the cache where it is there;
    the others as (scene, cache key, aac)."""
    pieces: list[Path] = []
    keys: list[str] = []
    missing: list[tuple[int, str, Path]] = []
    for i, unit in enumerate(plan.units):
        path = workdir / f"narration-{i:04d}.aac"
        key = _piece_key(audio, i, unit, level, sound)
        if audio.cache is None or not audio.cache.fetch(key, path, ".aac"):
            missing.append((i, key, path))
        pieces.append(path)
        keys.append(key)
    return pieces, keys, missing


def _unit_jobs(
    plan: NarrationPlan,
    audio: SceneAudio,
    level: Level,
    sound: Sound,
    batch: Sequence[tuple[int, str, Path]],
    guides: Mapping[int, Floats] | None,
    guide_db: float,
) -> list[PieceJob]:
    """Each missing scene's samples as the encoder gets them (lowered by its guide, if any)."""
    jobs = []
    for i, key, aac in batch:
        check_cancelled()
        samples = _unit_samples(plan, audio, level, sound, i, key)[np.newaxis]
        if guides:
            lowered(samples, guides[i], guide_db)
        jobs.append(PieceJob(samples, aac))
    return jobs


def _unit_samples(
    plan: NarrationPlan, audio: SceneAudio, level: Level, sound: Sound, i: int, key: str
) -> Samples:
    """A scene's share of the track: levelled and limited, padded with silence (or room tone, seeded
    by the piece's key) to whole frames."""
    unit = plan.units[i]
    samples = np.zeros(unit.total, dtype=np.float32)
    speech = leveled(audio.samples(i), level.scenes[i], sound.ceiling, audio.analyses.pop(i, None))
    samples[unit.lead : unit.lead + unit.samples] = speech
    if sound.room_tone:
        samples += room_tone(unit.total, key)
    return samples


def _store_pieces(cache: DiskCache, batch: Sequence[tuple[Path, str]]) -> None:
    for aac, key in batch:
        cache.put_file(key, aac, ".aac")


def _join_pieces(plan: NarrationPlan, pieces: Sequence[Path], out: Path) -> list[bytes]:
    """The pieces' frames in order (one priming frame for the whole track), written to `out` and
    returned (for the joined track's check)."""
    joined: list[bytes] = []
    for i, (path, unit) in enumerate(zip(pieces, plan.units, strict=True)):
        check_cancelled()
        frames = adts_frames(path.read_bytes())
        if len(frames) != unit.total // AAC_FRAME + 1:
            raise MediaError(f"scene {i + 1}: unexpected AAC frame count {len(frames)}")
        joined += frames if i == 0 else frames[1:]
    with open(out, "wb") as sink:
        sink.writelines(joined)
    return joined
