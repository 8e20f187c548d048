"""Video clips as scene backgrounds: the stock answers' shapes (Pexels `GET /videos/search`, Pixabay
`GET /api/videos/`), the rendition picked for the frame, and the checks a clip passes before use.

Why a rendition per frame: stock videos come in several sizes (Pexels `video_files`, Pixabay
`large`/`medium`/`small`/`tiny`); the smallest one that still covers the frame is the cheapest to
download and decode. Why the checks: a clip is decoded by ffmpeg in the scene's encode, so what
reaches it must be a video of sane size whose first frame decodes (PyAV; the shipped ffmpeg has no
ffprobe), and that first frame is the scene's poster (the still under the words, the thumbnail).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import ImageError, RemoteError
from app.services.images import MediaLimits

CLIP_SUFFIXES = (".mp4", ".webm", ".mov", ".m4v")
MB = 1024 * 1024


@dataclass(frozen=True)
class StockHit:
    """One search hit: its id (for no-repeats), the file's URL and who to credit."""

    id: str
    url: str
    credit: str


def check_clip(path: Path, limits: MediaLimits, name: str) -> bytes:
    """The clip's first frame as PNG bytes (its poster), once the clip is known to be a video within
    the limits whose picture decodes; else `ImageError` naming `name` (the scene falls over)."""
    import av

    size = path.stat().st_size
    if size > limits.max_bytes:
        raise ImageError(f"{name}: the clip ({size // MB} MB) is over the {limits.max_bytes // MB} MB limit")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ImageError(f"{name}: not a video (it has no picture stream)")
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            if width * height > limits.max_pixels:
                raise ImageError(
                    f"{name}: the clip is {width}x{height}, over the {limits.max_pixels:,}-pixel limit"
                )
            poster = next(iter(container.decode(stream)), None)
            if poster is None or width <= 0 or height <= 0:
                raise ImageError(f"{name}: the clip has no picture to decode")
            image = poster.to_image()
    except (av.FFmpegError, StopIteration, ValueError) as exc:
        raise ImageError(f"{name}: not a video that decodes ({type(exc).__name__})") from None
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG", compress_level=1)
    return out.getvalue()


def _rendition(files: list[tuple[int, int, str]], frame: tuple[int, int]) -> str | None:
    """The smallest rendition that covers the frame (both sides), else the largest there is."""
    if not files:
        return None
    fw, fh = frame
    covering = [f for f in files if f[0] >= fw and f[1] >= fh]
    if covering:
        return min(covering, key=lambda f: f[0] * f[1])[2]
    return max(files, key=lambda f: f[0] * f[1])[2]


def credit_line(what: str, who: str, site: str, page: str) -> str:
    """The credit a stock site asks for: "Photo by NAME on Pexels (page)"."""
    return f"{what} by {who} on {site}" + (f" ({page})" if page else "")


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def pexels_clips(answer: Any, frame: tuple[int, int]) -> list[StockHit]:
    """Pexels' answer: {"videos": [{"id", "url", "user": {"name"}, "video_files": [{"link", "width",
    "height", "file_type"}]}]}."""
    if not isinstance(answer, dict) or not isinstance(answer.get("videos"), list):
        raise RemoteError("pexels-video search: the answer has no 'videos' list")
    found = []
    for video in answer["videos"]:
        if not isinstance(video, dict) or not isinstance(video.get("video_files"), list):
            continue
        files = [
            (_int(f.get("width")), _int(f.get("height")), f["link"])
            for f in video["video_files"]
            if isinstance(f, dict) and isinstance(f.get("link"), str)
            and str(f.get("file_type") or "video/mp4").startswith("video/")
        ]  # fmt: skip
        url = _rendition(files, frame)
        if url is None:
            continue
        user = video.get("user")
        who = str(user.get("name") or "unknown") if isinstance(user, dict) else "unknown"
        page = str(video.get("url") or "")
        found.append(StockHit(str(video.get("id")), url, credit_line("Video", who, "Pexels", page)))
    return found


def pixabay_clips(answer: Any, frame: tuple[int, int]) -> list[StockHit]:
    """Pixabay's answer: {"hits": [{"id", "user", "pageURL", "videos": {"large"|"medium"|"small"|"tiny":
    {"url", "width", "height", "size"}}}]} (a size Pixabay lacks has an empty url)."""
    if not isinstance(answer, dict) or not isinstance(answer.get("hits"), list):
        raise RemoteError("pixabay-video search: the answer has no 'hits' list")
    found = []
    for hit in answer["hits"]:
        if not isinstance(hit, dict) or not isinstance(hit.get("videos"), dict):
            continue
        files = [
            (_int(v.get("width")), _int(v.get("height")), v["url"])
            for v in hit["videos"].values()
            if isinstance(v, dict) and isinstance(v.get("url"), str) and v["url"]
        ]
        url = _rendition(files, frame)
        if url is None:
            continue
        who = str(hit.get("user") or "unknown")
        page = str(hit.get("pageURL") or "")
        found.append(StockHit(str(hit.get("id")), url, credit_line("Video", who, "Pixabay", page)))
    return found
