"""A video clip as a scene's moving background, under the scene's words (issue 18, stock video).

Why one pass: the clip (a stock download or the user's own, any size, codec and length) is looped
or trimmed to the scene's frames, scaled and cropped to cover the picture's box, its sound dropped,
and the scene's stills laid over it as transparent overlays (the words, the scrim, the panels:
`visuals.matte`), all in the one ffmpeg run that encodes the scene's segment, so a clip is decoded
and encoded once per scene, and the segment is cached like any other (by the clip's digest).
The overlays are converted to YUV with the BT.709 matrix themselves (ffmpeg's default for an RGBA
overlay is BT.601, which would tint the words against the other scenes').
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app.services.video.ffmpeg import TIMESCALE, run_ffmpeg
from app.services.video.segments import Burn, FrameSpec, frame_count
from app.services.video.shots import Shot, write_concat_list

Box = tuple[int, int, int, int]
YUV709 = "out_color_matrix=bt709:out_range=tv"


@dataclass(frozen=True)
class ClipBackdrop:
    """A scene's clip and the box it fills (the whole frame, or the picture's box beside the words)."""

    clip: Path
    box: Box


async def encode_over_clip(
    shots: Sequence[Shot],
    backdrop: ClipBackdrop,
    spec: FrameSpec,
    out: Path,
    workdir: Path,
    burn: Burn | None = None,
) -> None:
    """The scene's frames at `spec.rate`: the clip (looped when shorter than the scene, from its
    start) covering `backdrop.box`, the shots' RGBA overlays on top at their times, then the
    captions. Every frame is encoded with `Encoding.frames`, so the segment joins the render's
    constant-rate segments by copy; no audio stream is written."""
    fps = spec.rate
    start = shots[0].start
    end = shots[-1].start + shots[-1].duration
    frames = frame_count(start, end, fps)
    width, height = spec.size
    x0, y0, x1, y1 = backdrop.box
    bw, bh = max(2, x1 - x0), max(2, y1 - y0)
    overlays = workdir / f"{out.stem}-over.ffconcat"
    write_concat_list([Shot(s.image, s.start - start, s.duration) for s in shots], overlays)
    chains = [
        f"color=c=black:s={width}x{height}:r={fps},format=yuv420p[base]",
        f"[0:v]setpts=PTS-STARTPTS,fps={fps},scale={bw}:{bh}:force_original_aspect_ratio=increase:"
        f"{YUV709},crop={bw}:{bh},setsar=1,format=yuv420p[clip]",
        f"[base][clip]overlay=x={x0}:y={y0}:shortest=0:eof_action=repeat[back]",
        f"[1:v]scale={YUV709},format=yuva420p[words]",
        "[back][words]overlay=format=yuv420:eof_action=repeat,"
        "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv,"
        f"setpts=N/{fps}/TB" + (f",{burn.filter(start)}" if burn else "") + "[v]",
    ]
    await run_ffmpeg(
        [
            "-stream_loop", "-1", "-i", str(backdrop.clip),
            "-f", "concat", "-safe", "0", "-i", str(overlays),
            "-filter_complex", ";".join(chains), "-map", "[v]", "-an", "-sn", "-dn",
            "-frames:v", str(frames), "-r", str(fps), *spec.encoding.frames(fps),
            "-video_track_timescale", str(TIMESCALE), str(out),
        ],
        what="encoding a scene over its video clip",
    )  # fmt: skip
