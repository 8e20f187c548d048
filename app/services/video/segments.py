"""Scene segments: each scene's picture track encoded on its own, then joined by stream copy.

Why segments: a scene's video depends only on its picture(s), its duration and the frame settings,
so it is content-addressed and cached (an edited document re-encodes only the scenes that changed),
memory stays bounded by one scene whatever the video's length, and the join is a copy.

Three ways to encode a scene, cheapest first:
- variable frame rate (default): each distinct picture is one frame held for its duration;
- constant frame rate (`--fps`): a GOP-long clip of the still (2 s with a preset's keyframe
  interval, else 10 s) is encoded once and repeated by stream copy, plus one remainder clip;
- every frame (`--motion`, or `--fps` with burned captions): the picture is looped at the frame rate
  through the filters (a sub-pixel pan and zoom, `motion.KenBurns`; the captions).
All segments of a render share one encoder configuration (`Encoding`: profile, level, BT.709,
GOP), so their H.264 streams join without re-encoding; every segment starts with a keyframe.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.core.threads import run_in_thread
from app.services.video.encoding import TO_YUV, YUV_TAGS, Encoding
from app.services.video.ffmpeg import TIMESCALE, filter_escape, run_ffmpeg
from app.services.video.motion import DRAW_THREADS, KenBurns, Planes, pan_frame
from app.services.video.mux import join_by_copy
from app.services.video.shots import END_MARK_MS, Shot, held_frames, split_shots


@dataclass(frozen=True)
class FrameSpec:
    """How the picture track is built: frame size, frame rate (None: variable), motion, the longest
    time between keyframes (None: a long GOP) and the quality ("standard" or "high")."""

    size: tuple[int, int]
    fps: int | None = None
    motion: bool = False
    keyframe_seconds: float | None = None
    quality: str = "standard"
    slide_motion: bool = False  # the moving scene is a slide: a smaller pan and zoom

    @property
    def rate(self) -> int:
        return self.fps or 30

    @property
    def encoding(self) -> Encoding:
        return Encoding(self.size, self.fps, self.keyframe_seconds, self.quality)


@dataclass(frozen=True)
class Burn:
    """Captions to draw into the picture: an ASS file with absolute times, and its fonts."""

    ass: Path
    fonts_dir: Path

    def filter(self, scene_start: float) -> str:
        # the segment's own clock starts at 0: shift it to the scene's place for libass, then back
        return (
            f"setpts=PTS+{scene_start:.6f}/TB,"
            f"subtitles=filename={filter_escape(self.ass)}:fontsdir={filter_escape(self.fonts_dir)},"
            "setpts=PTS-STARTPTS"
        )


def ms(t: float) -> int:
    return round(t * 1000)


def on_ms_clock(shots: Sequence[Shot]) -> list[Shot]:
    """Shots in the scene's own time, cut on the render's millisecond grid (not the scene's): the
    segments, each as long as its scene in whole milliseconds, add up to the timeline without drift."""
    base = ms(shots[0].start)
    return [
        Shot(s.image, (ms(s.start) - base) / 1000, (ms(s.start + s.duration) - ms(s.start)) / 1000)
        for s in shots
    ]


def frame_count(start: float, end: float, fps: int) -> int:
    """Frames of a scene on a constant-rate grid anchored at 0, so rounding never accumulates."""
    return max(1, round(end * fps) - round(start * fps))


async def encode_segment(
    shots: Sequence[Shot],
    spec: FrameSpec,
    out: Path,
    workdir: Path,
    burn: Burn | None = None,
    motion_key: str | None = None,
    path: tuple[float, float] | None = None,
) -> None:
    """One scene's picture track (all `shots` show one scene, in turn; times are absolute). A scene
    with several stills (the spoken item highlighted in turn) costs one still's work per still.
    `motion_key` (e.g. the first still's digest) picks the scene's pan and zoom; `path` is the time
    the pan spans (default: the shots'; wider when transition windows show the scene's ends)."""
    if not (spec.motion or spec.fps):
        await _encode_vfr(shots, spec.encoding, out, burn)
        return
    fps = spec.rate
    start = shots[0].start
    end = shots[-1].start + shots[-1].duration
    # the frame grid: the render's own (anchored at 0) at a constant rate; at a variable rate, a
    # moving scene's frames are its own, from its start, and its segment lasts its whole milliseconds
    clock = None if spec.fps else _MsClock(fps, ms(end) - ms(start))
    origin = start if clock else 0.0

    def index(t: float) -> int:
        return round((t - origin) * fps)

    first = index(start)
    total = max(1, index(end) - first)
    p0, p1 = path or (start, end)
    shift, path_frames = first - index(p0), max(1, index(p1) - index(p0))
    pieces: list[tuple[Shot, int, int]] = []  # (shot, its first frame in the scene, its frames)
    for shot in shots:
        a = index(shot.start) - first
        b = total if shot is shots[-1] else index(shot.start + shot.duration) - first
        if pieces and pieces[-1][0].image == shot.image:  # cut only for the captions: one piece
            a = pieces.pop()[1]
        if b > a:
            pieces.append((shot, a, b - a))
    parts = []
    for k, (shot, frame0, frames) in enumerate(pieces):
        part = out if len(pieces) == 1 else workdir / f"{out.stem}-part{k}.mp4"
        if spec.motion or burn:
            at = start if frame0 == 0 else origin + (first + frame0) / fps
            piece = clock.piece(frame0, frames, last=k == len(pieces) - 1) if clock else None
            await _encode_every_frame(
                shot.image,
                at,
                frame0 + shift,
                frames,
                path_frames,
                spec,
                part,
                workdir,
                burn,
                motion_key,
                piece,
            )
        else:
            await _encode_repeated_still(shot.image, frames, spec, part, workdir)
        parts.append(part)
    if len(parts) > 1:
        await join_by_copy(parts, out)


@dataclass(frozen=True)
class _MsClock:
    """Every frame of a moving scene inside a variable-rate render: its frames at `fps` on the
    millisecond clock the still segments use (so their H.264 headers are the same, byte for byte,
    and they join by copy), the segment `total_ms` long exactly."""

    fps: int
    total_ms: int

    def at(self, frame: int) -> int:
        return round(frame * 1000 / self.fps)

    def piece(self, frame0: int, frames: int, last: bool) -> str:
        """A `setpts` expression for the piece of `frames` frames from scene frame `frame0`, plus its
        end mark (one more frame, 1 ms before the piece's end: its length is stored exactly)."""
        base = self.at(frame0)
        end = (self.total_ms if last else self.at(frame0 + frames)) - base
        return f"setpts='if(lt(N,{frames}),round((N+{frame0})*1000/{self.fps})-{base},{end - END_MARK_MS})'"


async def _encode_vfr(shots: Sequence[Shot], encoding: Encoding, out: Path, burn: Burn | None) -> None:
    start = shots[0].start
    local = on_ms_clock(shots)
    if encoding.keyframe_seconds:  # a frame wherever a keyframe is due, even within a still
        end = local[-1].start + local[-1].duration
        step = encoding.keyframe_seconds
        local = split_shots(local, [k * step for k in range(1, int(end / step) + 1)])
    filters = [burn.filter(start)] if burn else []
    filters.append(TO_YUV)
    frames = held_frames(local)
    if other := next((image for image, _ in frames if image.suffix.lower() != ".png"), None):
        raise ValueError(f"a still segment takes PNG pictures (stills are drawn as PNG), not {other.name}")
    source, feed = _png_pipe(frames)
    filters[:0] = ["settb=1/1000", f"setpts='{_held_times(frames)}'"]
    await run_ffmpeg(
        [
            "-threads", "1",  # one PNG decoded at a time: fewer full-frame buffers
            *source, "-vf", ",".join(filters),
            *encoding.still(), *encoding.force_keyframes(),
            "-fps_mode", "vfr", "-video_track_timescale", str(TIMESCALE), str(out),
        ],
        what="encoding a scene",
        feed=feed,
    )  # fmt: skip


def _png_pipe(frames: Sequence[tuple[Path, int]]) -> tuple[list[str], Callable[[int], bytes | None]]:
    """The pictures' PNG files piped in, one after another, each read once. Why not an ffconcat
    list: its demuxer opens every entry as an input of its own and decodes it once more to probe it,
    so each picture was decoded twice (~25% of a still scene's encoding)."""
    read: dict[Path, bytes] = {}

    def feed(k: int) -> bytes | None:
        if k >= len(frames):
            return None
        image = frames[k][0]
        if image not in read:  # one picture held: it repeats mostly right after itself (end mark, cues)
            read.clear()
            read[image] = image.read_bytes()
        return read[image]

    return ["-f", "png_pipe", "-framerate", "1000", "-i", "-"], feed


def _held_times(frames: Sequence[tuple[Path, int]]) -> str:
    """A `setpts` expression (time base 1 ms) giving frame N its start: the pictures' times, as a
    balanced tree of `if(lt(N,k),...)`, so a scene cut into hundreds of frames (a keyframe every
    2 s, a caption change) nests only ~log2 deep."""
    starts = list(itertools.accumulate((held for _, held in frames[:-1]), initial=0))

    def tree(lo: int, hi: int) -> str:  # frames lo..hi-1
        if hi - lo == 1:
            return str(starts[lo])
        mid = (lo + hi) // 2
        return f"if(lt(N,{mid}),{tree(lo, mid)},{tree(mid, hi)})"

    return tree(0, len(starts))


async def _encode_repeated_still(image: Path, frames: int, spec: FrameSpec, out: Path, workdir: Path) -> None:
    """Constant frame rate for a still: encode one GOP-long clip once, repeat it by copy, and cut
    the remainder from it by copy too (it has no B-frames, so any prefix is whole)."""
    fps = spec.rate
    encoding = spec.encoding
    unit_frames = min(frames, encoding.keyint(fps))
    repeats, rest = divmod(frames, unit_frames)
    unit = workdir / f"{out.stem}-unit.mp4"
    await _encode_frames(image, unit_frames, fps, [], unit, encoding.still_clip(fps))
    parts = [unit] * repeats
    if rest:
        tail = workdir / f"{out.stem}-rest.mp4"
        await run_ffmpeg(
            ["-i", str(unit), "-map", "0:v", "-frames:v", str(rest), "-c", "copy", str(tail)],
            what="cutting a still clip",
        )
        parts.append(tail)
    await join_by_copy(parts, out)


async def _encode_frames(
    image: Path,
    frames: int,
    fps: int,
    filters: list[str],
    out: Path,
    x264: list[str],
    ms_pts: str | None = None,
    drawn: tuple[tuple[int, int], Callable[[int], bytes | None]] | None = None,
) -> None:
    """Decode the picture once and loop it in memory (the image demuxer would decode every frame),
    or, with `drawn` (the frame size and a feed of raw yuv420p frames: `motion.pan_frame`), encode
    the frames piped in. `ms_pts`: a setpts expression on the millisecond clock (`_MsClock.piece`:
    one frame more, the end mark) instead of the constant rate."""
    count = frames + (1 if ms_pts else 0)  # the end mark: 1 ms frames (the input's rate)
    if drawn is None:
        source = [*(["-framerate", "1000"] if ms_pts else []), "-i", str(image)]
        head = [TO_YUV, f"loop=loop={count - 1}:size=1:start=0"]
    else:
        (w, h), _ = drawn
        raw = ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{w}x{h}"]
        source = [*raw, "-framerate", "1000" if ms_pts else str(fps), "-i", "-"]
        head = [YUV_TAGS]
    if ms_pts is None:
        chain = [*head, f"setpts=N/{fps}/TB", *filters]
        rate = ["-r", str(fps)]
    else:  # the end mark's duration is its 1 ms; the others' is up to the next frame
        chain = [*head, "settb=1/1000", ms_pts, *filters]
        rate = ["-fps_mode", "passthrough", "-enc_time_base", "1:1000"]
    await run_ffmpeg(
        [
            *source, "-vf", ",".join(chain), "-frames:v", str(count), *rate, *x264,
            "-video_track_timescale", str(TIMESCALE), str(out),
        ],
        what="encoding frames",
        feed=drawn[1] if drawn else None,
        feed_threads=DRAW_THREADS,
    )  # fmt: skip


async def _planes(image: Path, size: tuple[int, int], raw: Path) -> Planes:
    """The picture at the frame's size in YUV 4:2:0, converted as the stills are (`TO_YUV`)."""
    w, h = size
    await run_ffmpeg(
        ["-i", str(image), "-vf", f"scale={w}:{h},{TO_YUV}", "-f", "rawvideo", str(raw)],
        what="converting a picture",
    )
    try:
        return Planes.from_raw(await run_in_thread(raw.read_bytes), size)
    finally:
        raw.unlink(missing_ok=True)


async def _encode_every_frame(
    image: Path,
    at: float,
    frame0: int,
    frames: int,
    total: int,
    spec: FrameSpec,
    out: Path,
    workdir: Path,
    burn: Burn | None,
    motion_key: str | None = None,
    ms_pts: str | None = None,
) -> None:
    """`frames` frames of `image` from frame `frame0` of a scene of `total` frames (at `at` seconds):
    the pan continues across the scene's stills, the captions are drawn at their times."""
    fps = spec.rate
    filters = [burn.filter(at)] if burn else []
    drawn = None
    if spec.motion:  # sub-pixel pan and zoom, continuing across the scene's stills
        path = KenBurns.for_key(motion_key or str(image), spec.slide_motion)
        planes = await _planes(image, spec.size, workdir / f"{out.stem}.yuv")
        count, last = frames + (1 if ms_pts else 0), max(1, total - 1)

        def feed(k: int) -> bytes | None:
            return pan_frame(planes, path, (frame0 + k) / last) if k < count else None

        drawn = (spec.size, feed)
    await _encode_frames(image, frames, fps, filters, out, spec.encoding.frames(fps), ms_pts, drawn)
