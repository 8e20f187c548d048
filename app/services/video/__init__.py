"""Video: ffmpeg primitives, one H.264 segment per scene, the final mux, probing and publishing.

`encode_segment` makes a scene's picture track (variable frame rate: each distinct picture once; or a
repeated closed-GOP clip for a constant rate; or every frame for motion and burned captions) with
one `Encoding` per render (High profile, a level for the frame size and rate, BT.709, the keyframe
interval); `mux` joins the segments by stream copy with the narration, soft subtitles and chapters
into one faststart MP4 (or the narration alone, an M4A), in this process (PyAV); `publish_all`
moves the outputs into place, all or none. `PRESETS` are the delivery presets (`with_preset` fills
a preset's options in). `run_ffmpeg` is cancellable and its ffmpeg dies with this process.
"""

from app.services.video.backdrop import ClipBackdrop, encode_over_clip
from app.services.video.chapters import (
    Chapter,
    chapter_marks,
    chapters_path,
    chapters_text,
    scene_chapters,
    write_chapters,
)
from app.services.video.encoding import Encoding, h264_level
from app.services.video.ffmpeg import ffmpeg_exe, run_ffmpeg
from app.services.video.motion import MOTION_MODES, KenBurns, MotionMode
from app.services.video.mp4 import ADTS_HEADER, adts_frame_size
from app.services.video.mux import iso639_2, mux
from app.services.video.presets import PRESETS, PresetName, with_preset
from app.services.video.probe import MediaInfo, probe
from app.services.video.publish import publish, publish_all
from app.services.video.segments import Burn, FrameSpec, encode_segment, frame_count
from app.services.video.shots import Shot, split_shots
from app.services.video.tracks import disable_subtitle_tracks
from app.services.video.transitions import TRANSITIONS, Side, boundary_windows, encode_transition, trim_shots

__all__ = [
    "ADTS_HEADER",
    "MOTION_MODES",
    "PRESETS",
    "TRANSITIONS",
    "Burn",
    "Chapter",
    "ClipBackdrop",
    "Encoding",
    "FrameSpec",
    "KenBurns",
    "MediaInfo",
    "MotionMode",
    "PresetName",
    "Shot",
    "Side",
    "adts_frame_size",
    "boundary_windows",
    "chapter_marks",
    "chapters_path",
    "chapters_text",
    "disable_subtitle_tracks",
    "encode_over_clip",
    "encode_segment",
    "encode_transition",
    "ffmpeg_exe",
    "frame_count",
    "h264_level",
    "iso639_2",
    "mux",
    "probe",
    "publish",
    "publish_all",
    "run_ffmpeg",
    "scene_chapters",
    "split_shots",
    "trim_shots",
    "with_preset",
    "write_chapters",
]
