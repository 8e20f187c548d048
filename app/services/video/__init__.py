"""Video: ffmpeg primitives, one H.264 segment per scene, the final mux, probing and publishing.

`encode_segment` makes a scene's picture track (variable frame rate: each distinct picture once; or a
repeated closed-GOP clip for a constant rate; or every frame for motion and burned captions); `mux`
joins the segments by stream copy with the narration and soft subtitles into one faststart MP4;
`publish_all` moves the outputs into place, all or none. `run_ffmpeg` is cancellable and its ffmpeg
dies with this process.
"""

from app.services.video.ffmpeg import ffmpeg_exe, run_ffmpeg
from app.services.video.mux import iso639_2, mux
from app.services.video.probe import MediaInfo, probe
from app.services.video.publish import publish, publish_all
from app.services.video.segments import Burn, FrameSpec, encode_segment
from app.services.video.shots import Shot, split_shots

__all__ = [
    "Burn",
    "FrameSpec",
    "MediaInfo",
    "Shot",
    "encode_segment",
    "ffmpeg_exe",
    "iso639_2",
    "mux",
    "probe",
    "publish",
    "publish_all",
    "run_ffmpeg",
    "split_shots",
]
