"""How the H.264 picture track is encoded: profile, level, colour, keyframes and quality.

Players and platforms read the level to decide whether they can decode a file, so it is chosen from
the frame size and the frame rate (a variable-rate file is flagged for its nominal 30 fps: x264 would
otherwise compute it from the 1 ms time base and flag level 6.x). The slides are RGB pictures of HD
size: they are converted to YUV with the BT.709 matrix and tagged so (an untagged HD file is guessed
as BT.601 by some players and as BT.709 by others, shifting the colours).
"""

from __future__ import annotations

from dataclasses import dataclass

PROFILE = "high"
LONG_GOP_SECONDS = 10  # without a preset: a keyframe at least this often (and at every scene)
VFR_NOMINAL_FPS = 30  # what a variable-rate file's level is computed for
CRF = {"standard": 20, "high": 16}  # x264's constant quality (lower is better and larger)

# H.264 levels (ITU-T H.264 Table A-1): (name, max frame size in macroblocks, max macroblocks/second)
LEVELS = (
    ("3.0", 1620, 40_500),
    ("3.1", 3600, 108_000),
    ("3.2", 5120, 216_000),
    ("4.0", 8192, 245_760),
    ("4.2", 8704, 522_240),
    ("5.0", 22_080, 589_824),
    ("5.1", 36_864, 983_040),
    ("5.2", 36_864, 2_073_600),
)

# RGB slides -> YUV 4:2:0 with the HD matrix, in the video range; the tags say the same.
YUV_TAGS = "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv"
TO_YUV = f"scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,{YUV_TAGS}"
COLOUR_TAGS = [
    "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
]  # fmt: skip


def h264_level(size: tuple[int, int], fps: int | None) -> str:
    """The lowest H.264 level whose frame size and macroblock rate hold this picture track."""
    w, h = size
    macroblocks = ((w + 15) // 16) * ((h + 15) // 16)
    rate = fps or VFR_NOMINAL_FPS
    for name, max_fs, max_mbps in LEVELS:
        if macroblocks <= max_fs and macroblocks * rate <= max_mbps:
            return name
    return LEVELS[-1][0]


@dataclass(frozen=True)
class Encoding:
    """The encoder settings every segment of one render shares (so they join by stream copy)."""

    size: tuple[int, int]
    fps: int | None  # None: variable frame rate
    keyframe_seconds: float | None = None  # None: a long GOP (LONG_GOP_SECONDS, and every scene)
    quality: str = "standard"

    @property
    def level(self) -> str:
        return h264_level(self.size, self.fps)

    @property
    def gop_seconds(self) -> float:
        return self.keyframe_seconds or LONG_GOP_SECONDS

    def keyint(self, fps: int) -> int:
        """The longest GOP in frames at `fps`."""
        return max(1, round(self.gop_seconds * fps))

    def x264(self, preset: str, tune: list[str], params: str, fps: int | None, threads: int = 2) -> list[str]:
        """x264's arguments: preset and tuning, constant quality, profile, level, colour tags, GOP."""
        keyint = self.keyint(fps) if fps else 100_000  # VFR: keyframes are forced by time instead
        return [
            "-c:v", "libx264", "-preset", preset, *tune, "-crf", str(CRF[self.quality]),
            "-pix_fmt", "yuv420p", "-profile:v", PROFILE, "-level:v", self.level, *COLOUR_TAGS,
            "-threads", str(threads), "-x264-params", f"{params}:keyint={keyint}:min-keyint=1:scenecut=0",
        ]  # fmt: skip

    def still(self) -> list[str]:
        """Variable frame rate: each distinct picture about once (no B-frames: a scene's pieces are
        cut and joined by copy). One thread: a handful of frames gains little from two, scenes are
        encoded two at a time anyway, and a second thread's frame buffers cost ~30 MB at 1080p.
        superfast, not veryfast: a scene is a few pictures, so veryfast's lookahead and macroblock
        tree plan for frames that never come; for the plan benchmark's 22 slides at 1080p, ~20% less
        CPU, PSNR 58.1 vs 56.0 dB, SSIM 0.9992 vs 0.9990, 13% larger (same SPS/PPS)."""
        return self.x264("superfast", ["-tune", "stillimage"], "bframes=0", None, threads=1)

    def still_clip(self, fps: int) -> list[str]:
        """A constant-rate clip of one picture, repeated by copy: no B-frames, so any prefix is whole;
        no adaptive quantization, which keeps re-coding an unchanged picture (~750 bytes a frame at
        720p instead of ~40)."""
        return self.x264("veryfast", ["-tune", "stillimage"], "rc-lookahead=10:bframes=0:aq-mode=0", fps)

    def frames(self, fps: int) -> list[str]:
        """Every frame (motion, burned captions at a constant rate): ultrafast is ~4x veryfast; CABAC
        and 8x8 transforms (High profile) make it smaller for little time; CABAC, 8x8 and weighted
        prediction also make its headers those of `still_clip`, so both kinds of segment join."""
        return self.x264("ultrafast", [], "bframes=0:cabac=1:8x8dct=1:weightp=1", fps)

    def force_keyframes(self) -> list[str]:
        """Variable frame rate with a keyframe interval: a keyframe on the first frame at or after
        every interval (the shots are cut there, so a frame falls on each)."""
        if self.keyframe_seconds is None:
            return []
        return ["-force_key_frames", f"expr:gte(t,n_forced*{self.keyframe_seconds:g})"]
