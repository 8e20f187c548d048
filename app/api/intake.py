"""Turning a submission (JSON text or an uploaded file) into a job's FileContext, validated up front.

Everything a worker would refuse later is refused here, at submit time, with a 4xx: a document that is
empty, binary or not UTF-8, options that do not validate, an unknown priority, a script over the
`ScriptLimits` (a word too long to say, too many scenes, too long a narration). The uploaded file's name
is kept only as a display name (it also picks md/txt by extension); it never becomes a path.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from app.config import Settings
from app.core.fsutil import hash_file
from app.core.jobstore.base import JobPriority
from app.core.permissions import private_dir
from app.core.queue_manager import FileContext, Trust
from app.errors import InputError
from app.services.audio import check_music_name, check_uploaded_music
from app.services.documents import DocumentLimits, DocumentTooLarge, ReadOptions, document_from_bytes
from app.services.images import ImagePolicy, check_references, document_images
from app.services.options import parse_render_options
from app.services.planning import ScriptLimits, parse_storyboard, storyboard_format
from app.services.render_job import check_script, check_storyboard, job_context, storyboard_context
from app.services.speech import TTSConfig

NAME_MAX = 120
UPLOADS = ".uploads"  # under the artifacts root: uploaded music until its job is queued


class TooLarge(DocumentTooLarge):
    """The document is over the size limit (HTTP 413)."""


def display_name(raw: str | None) -> str | None:
    """The last path component, printable characters only, no leading dots, at most 120 characters."""
    if not raw:
        return None
    name = re.split(r"[\\/]", raw)[-1]
    name = unicodedata.normalize("NFC", "".join(ch for ch in name if ch.isprintable()))
    name = name.strip().lstrip(".").strip()
    return name[:NAME_MAX] or None


@dataclass(frozen=True)
class Submission:
    context: FileContext
    priority: JobPriority
    size: int
    staged: Path | None = None  # music uploaded with it, waiting to go into the job's files


STORYBOARD = "storyboard"  # the `fmt` of a storyboard given as JSON in the body


def build_submission(
    data: bytes,
    name: str | None,
    fmt: str | None,
    priority: str | int,
    options: Any,
    limits: DocumentLimits,
    tts: TTSConfig,
    uploaded: bool,
    settings: Settings,
    music: StagedMusic | None = None,
) -> Submission:
    """`uploaded`: the name is a file's, so its extension picks the format; a JSON `name` is a label.
    `music`: a music file uploaded beside it (checked already), instead of `options.music`.

    The options are an API caller's: voices only among what the operator offers (`tts`), and the
    job is marked so that its worker checks them the same way. Its images may not be server files
    (the document has no folder) and are remote only if the server allows it (`settings`): checked
    here without reading or fetching anything, and in full by the worker.
    """
    if len(data) > limits.largest:
        raise TooLarge(f"the document is {len(data)} bytes; the limit is {limits.largest}")
    try:
        prio = JobPriority.parse(priority)
    except ValueError as exc:
        shown = str(exc) if isinstance(priority, str) else f"unknown priority {priority!r}"
        raise InputError(shown) from None
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise InputError("options must be a JSON object")
    given = {k: v for k, v in options.items() if v is not None}
    if music is not None and given.get("music"):
        raise InputError("send music either as options.music or as an uploaded 'music' file, not both")
    parsed = parse_render_options(given, trust=Trust.CALLER, settings=settings, config=tts)
    display = display_name(name)
    board = "json" if fmt == STORYBOARD else storyboard_format(display) if uploaded else None
    if board is not None:  # a storyboard: checked here as the worker will, one line per problem
        if len(data) > limits.text_bytes:
            raise TooLarge(f"the storyboard is {len(data)} bytes; the limit is {limits.text_bytes}")
        plan = parse_storyboard(data, board, display or "storyboard")
        policy = ImagePolicy.for_render(parsed, Trust.CALLER, settings)
        check_storyboard(
            plan,
            parsed,
            policy,
            display or "storyboard",
            trust=Trust.CALLER,
            config=tts,
            limits=ScriptLimits.from_settings(settings),
        )
        context = storyboard_context(plan, given, Trust.CALLER, display)
        return _with_music(Submission(context, prio, context.size or 0), music)
    document = document_from_bytes(
        data,
        display if uploaded else None,
        fmt,
        limits=limits,
        label=None if uploaded else display,
        reading=ReadOptions.of(parsed.pages, parsed.pptx_picture),  # as the worker reads it
    )
    check_script(document, parsed, ScriptLimits.from_settings(settings))
    policy = ImagePolicy.for_render(parsed, Trust.CALLER, settings)
    check_references(document_images(document), policy)
    context = job_context(document, given, Trust.CALLER, display)
    return _with_music(Submission(context, prio, context.size or 0), music)


@dataclass(frozen=True)
class StagedMusic:
    """A music file a caller uploaded, checked, in its own staging folder; `name` is what it will be
    called among the job's files (by its content: a resubmitted job names the same file)."""

    path: Path
    name: str


def _with_music(submission: Submission, music: StagedMusic | None) -> Submission:
    if music is None:
        return submission
    context = dataclasses.replace(submission.context, music=music.name)
    return dataclasses.replace(submission, context=context, staged=music.path)


def stage_music(source: BinaryIO, filename: str | None, size: int | None, settings: Settings) -> StagedMusic:
    """Copy an uploaded music file out of the request into a staging folder of its own (under the
    artifacts root) and check it: by its size before anything is read (HTTP 422 over
    `max_music_bytes`), then its suffix and at least a second of decodable audio. Blocking."""
    limit = settings.max_music_bytes
    shown = display_name(filename) or "music"
    check_music_name(shown, size, limit)
    folder = private_dir(settings.artifacts_dir / UPLOADS / uuid.uuid4().hex)
    staged = folder / shown
    try:
        with open(staged, "wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
        check_uploaded_music(staged, limit)
        digest = hash_file(staged)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return StagedMusic(staged, f"music-{digest[:16]}{staged.suffix.lower()}")


def discard_staged(submission: Submission) -> None:
    """Remove a submission's staged music (moved into its job's files already, or refused)."""
    staged = submission.staged
    if staged is not None and staged.parent.parent.name == UPLOADS:  # never another job's files
        shutil.rmtree(staged.parent, ignore_errors=True)


def place_music(submission: Submission, job_dir: Path) -> Path | None:
    """Put a submission's music (staged, or another job's: a re-render's parent) into its job's
    files before the job is queued (a worker may claim it at once), as a hard link where it can (the
    same file, no copy); the path placed, or None when the job already has it (a resubmission)."""
    if submission.staged is None or submission.context.music is None:
        return None
    target = private_dir(job_dir) / submission.context.music
    if target.exists():
        return None
    try:
        os.link(submission.staged, target)
    except OSError:
        shutil.copyfile(submission.staged, target)
    return target
