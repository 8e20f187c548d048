"""The `/v1/jobs` API: submit, list, inspect, follow, download, cancel, retry and purge renders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import ValidationError
from sse_starlette import EventSourceResponse
from starlette.datastructures import UploadFile

from app.api.auth import Principal
from app.api.events import SHUTDOWN_GRACE_SECONDS, job_events
from app.api.intake import (
    STORYBOARD,
    Submission,
    build_submission,
    discard_staged,
    place_music,
    stage_music,
)
from app.api.schemas import JobCreate, JobList, JobOut, job_out
from app.api.service import PrincipalDep, ReadableJob, Service, ServiceDep, visible_job
from app.config import Settings
from app.core.jobstore.base import (
    Admission,
    AttachmentEdit,
    DuplicateJob,
    JobNotFound,
    JobRecord,
    JobStatus,
    QuotaExceeded,
    TooManyWaiting,
)
from app.core.queue_manager import check_job_id, new_job_id
from app.core.threads import run_in_thread
from app.errors import InputError, first_error
from app.services.documents import Document, DocumentLimits, fetch_client, fetch_document, fetch_limits

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

MULTIPART_SCHEMA = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "a document (Markdown, text, HTML, DOCX, PPTX, PDF or EPUB: sniffed from its "
            "bytes) or a storyboard (.json, .yaml, .yml)",
        },
        "priority": {"type": "string", "enum": ["low", "normal", "high", "urgent"]},
        "options": {"type": "string", "description": "render options as a JSON object"},
        "id": {"type": "string", "description": "your own job id"},
        "music": {
            "type": "string",
            "format": "binary",
            "description": "music to play under the voice (MP3, WAV, OGG, FLAC, M4A; >= 1 s, within the size "
            "limit): kept with the job's files, deleted with them; instead of options.music",
        },
    },
}

# The body of a submission (`POST /v1/jobs`, and `POST /v1/plan` which takes the same) as the OpenAPI
# description shows it: JSON text or a multipart upload.
SUBMISSION_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": JobCreate.model_json_schema()},
            "multipart/form-data": {"schema": MULTIPART_SCHEMA},
        },
    }
}

ARTIFACTS = {
    "video": ("video.mp4", "video/mp4", ".mp4"),
    "captions.srt": ("video.srt", "application/x-subrip", ".srt"),
    "captions.vtt": ("video.vtt", "text/vtt; charset=utf-8", ".vtt"),
    "thumbnail": ("video.jpg", "image/jpeg", ".jpg"),
    "chapters.txt": ("video.chapters.txt", "text/plain; charset=utf-8", ".chapters.txt"),
}


def _out(service: Service, job: JobRecord) -> JobOut:
    return job_out(job, service.tokens.issue(job.id))


async def _fetch(url: str, settings: Settings, limits: DocumentLimits) -> Document:
    """A document named by URL: only when the operator allows fetching, public addresses only
    (unless T2V_ALLOW_PRIVATE_URLS), within the fetch limits; errors name no internal address."""
    if not settings.allow_fetch:
        raise InputError("this server does not fetch documents by URL (T2V_ALLOW_FETCH is off)")
    http = fetch_client(settings)
    try:
        return await fetch_document(url, http, fetch_limits(settings), limits)
    except InputError as exc:
        exc.conceal()
        raise
    finally:
        await http.aclose()


async def read_submission(
    request: Request, service: Service, *, music: bool = True
) -> tuple[Submission, str | None]:
    """The submission a request carries, checked. `music`: a multipart upload's 'music' file is
    staged with it (checked, waiting for its job: `enqueue_submission` moves it into the job's files
    and `discard_staged` removes what is left); a preview passes False and it is not read."""
    settings = service.settings
    limits = DocumentLimits.from_settings(settings)
    tts = service.runtime.renderer.tts.config
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        async with request.form(max_files=2, max_fields=10) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InputError("the upload needs a 'file' field")
            data = await upload.read(limits.largest + 1)
            try:
                options = json.loads(str(form.get("options") or "{}"))
            except json.JSONDecodeError as exc:
                raise InputError(f"options is not valid JSON: {exc.msg}") from None
            job_id = form.get("id")
            track = form.get("music") if music else None
            if track is not None and not isinstance(track, UploadFile):
                raise InputError("'music' must be a file")
            staged = None
            if track is not None:
                staged = await run_in_thread(stage_music, track.file, track.filename, track.size, settings)
            try:
                submission = await run_in_thread(
                    build_submission,
                    data,
                    upload.filename,
                    None,
                    str(form.get("priority") or "normal"),
                    options,
                    limits,
                    tts,
                    True,
                    settings,
                    staged,
                )
            except BaseException:
                if staged is not None:
                    await run_in_thread(shutil.rmtree, staged.path.parent, True)
                raise
            return submission, str(job_id) if job_id else None
    if content_type in ("application/json", ""):
        try:
            body = JobCreate.model_validate_json(await request.body())
        except ValidationError as exc:
            raise InputError(
                first_error(exc.errors(), subject="body", allowed=JobCreate.model_fields)
            ) from None
        fmt: str | None = body.format
        name = body.name
        if body.storyboard is not None:  # a plan, rendered as written
            data, fmt = json.dumps(body.storyboard, ensure_ascii=False).encode("utf-8"), STORYBOARD
        elif body.url is not None:  # fetched here, once: the job carries what was read
            document = await _fetch(body.url, settings, limits)
            data = document.data if document.data is not None else document.text.encode("utf-8")
            fmt, name = document.format, name or document.name
        else:
            data = (body.text or "").encode("utf-8")
        submission = await run_in_thread(
            build_submission,
            data,
            name,
            fmt,
            body.priority,
            body.options,
            limits,
            tts,
            False,
            settings,
        )
        return submission, body.id
    raise HTTPException(415, "send application/json or multipart/form-data")


@router.post(
    "",
    status_code=202,
    response_model=JobOut,
    summary="Submit a document for rendering",
    openapi_extra=SUBMISSION_BODY,
    responses={
        413: {"description": "document too large"},
        429: {"description": "too many jobs waiting for this key, or its video quota is used up"},
    },
)
async def create_job(
    request: Request,
    service: ServiceDep,
    principal: PrincipalDep,
) -> JSONResponse:
    """JSON `{"text", "format", "priority", "options", "id"}` or a multipart upload (`file`, `priority`,
    `options` as a JSON string, `id`). Answers 202 with the queued job."""
    if service.draining:
        raise HTTPException(503, "the server is shutting down; submit again shortly")
    submission, wanted_id = await read_submission(request, service)
    try:
        record = await enqueue_submission(service, principal, submission, wanted_id)
    finally:
        await run_in_thread(discard_staged, submission)
    return accepted(service, record)


def accepted(service: Service, record: JobRecord) -> JSONResponse:
    """202 with the queued job and its Location."""
    body = _out(service, record).model_dump(mode="json")
    return JSONResponse(body, status_code=202, headers={"Location": f"/v1/jobs/{record.id}"})


async def enqueue_submission(
    service: Service,
    principal: Principal,
    submission: Submission,
    wanted_id: str | None = None,
    owner: str | None = None,
    edit: AttachmentEdit | None = None,
) -> JobRecord:
    """Queue a validated submission for `principal` (owned by `owner` when given: a re-render of
    someone's job stays theirs); 409 for a taken id, 429 over the owner's limits. `edit` is stored
    with the job or not at all (StaleAttachment: neither is, for the caller to answer)."""
    store = await service.store()
    if wanted_id is not None:
        try:
            check_job_id(wanted_id)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        existing = await store.get(wanted_id)
        if existing is not None and not principal.can_see(existing.owner):
            raise HTTPException(409, f"job id {wanted_id!r} is taken; choose another")
    job_id = wanted_id or new_job_id()
    # uploaded music goes into the job's files first: a worker may claim the job at once
    placed = await run_in_thread(place_music, submission, service.settings.artifacts_dir / job_id)
    try:
        record = await service.optimizer.parts.queue.submit_job_for_processing(
            job_id=job_id,
            file_context=submission.context,
            priority=submission.priority,
            file_size=submission.size,
            owner=owner if owner is not None else principal.id,
            admission=Admission(
                max_waiting=service.settings.max_waiting_per_key,
                max_artifact_bytes=service.settings.artifact_quota_bytes_per_key,
            ),
            edit=edit,
        )
    except DuplicateJob:
        await _unplace(placed)
        raise HTTPException(409, f"job {job_id!r} exists with different content; choose another id") from None
    except TooManyWaiting as exc:
        await _unplace(placed)
        raise HTTPException(
            429, f"{exc.waiting} jobs are already waiting for this key; wait for some to finish"
        ) from None
    except QuotaExceeded as exc:
        await _unplace(placed)
        raise HTTPException(
            429,
            f"this key's videos and storyboards take {exc.used} bytes, at or over its quota of"
            f" {exc.quota} bytes: delete some (DELETE /v1/jobs/{{id}}?purge=1) before submitting more",
        ) from None
    except BaseException:
        await _unplace(placed)
        raise
    if not principal.can_see(record.owner):
        raise HTTPException(409, f"job id {job_id!r} is taken; choose another")
    for worker in service.optimizer.parts.workers:
        worker.wakeup.set()
    return record


async def _unplace(placed: Path | None) -> None:
    """Take back music placed for a job that was not queued."""
    if placed is not None:
        await run_in_thread(placed.unlink, True)


@router.get("", response_model=JobList, summary="List your jobs, newest first")
async def list_jobs(
    service: ServiceDep,
    principal: PrincipalDep,
    status: Annotated[JobStatus | None, Query(description="only jobs in this status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JobList:
    store = await service.store()
    owner = principal.owner_filter
    records = await store.list_jobs(status=status, owner=owner, limit=limit + 1, offset=offset)
    return JobList(
        jobs=[_out(service, j) for j in records[:limit]],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if len(records) > limit else None,
    )


@router.get("/{job_id}", response_model=JobOut, summary="One job: status, progress, errors, links")
async def get_job(job: ReadableJob, service: ServiceDep) -> JobOut:
    return _out(service, job)


@router.get(
    "/{job_id}/events",
    summary="Progress as server-sent events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def job_progress(job: ReadableJob, service: ServiceDep) -> EventSourceResponse:
    """`event: job` with the job (as in GET /v1/jobs/{id}) whenever it changes, then `event: end` with
    the final job; the stream then closes. If the server shuts down first, `end` carries the job as it
    is (not final): follow it again once the server is back."""
    store = await service.store()

    def render(record: JobRecord) -> dict[str, Any]:
        return _out(service, record).model_dump(mode="json")

    shutdown = anyio.Event()
    return EventSourceResponse(
        job_events(store, job.id, render, shutdown=shutdown),
        ping=5,
        shutdown_event=shutdown,
        shutdown_grace_period=SHUTDOWN_GRACE_SECONDS,
    )


def _artifact(service: Service, job: JobRecord, which: str, download: bool) -> FileResponse:
    name, media_type, suffix = ARTIFACTS[which]
    if job.purged:
        raise HTTPException(410, f"job {job.id!r} was purged: its document and files are deleted")
    if job.status != JobStatus.COMPLETED:
        raise HTTPException(404, f"job {job.id!r} is {job.status.value}; its files exist once it completes")
    path = Path(service.settings.artifacts_dir) / check_job_id(job.id) / name
    if not path.is_file():
        raise HTTPException(404, f"job {job.id!r} has no {which}")
    shown = job.payload.get("filename") or job.id
    return FileResponse(
        path,
        media_type=media_type,
        filename=Path(shown).stem + suffix,
        content_disposition_type="attachment" if download else "inline",
        headers={"Cache-Control": "private, max-age=3600"},
    )


def _artifact_route(which: str, summary: str) -> None:
    async def download_artifact(
        job: ReadableJob,
        service: ServiceDep,
        download: Annotated[bool, Query(description="ask the browser to save it")] = False,
    ) -> FileResponse:
        return _artifact(service, job, which, download)

    router.add_api_route(
        f"/{{job_id}}/{which}",
        download_artifact,
        methods=["GET"],
        summary=summary,
        response_class=FileResponse,
        name=f"artifact_{which.replace('.', '_')}",
    )


_artifact_route("video", "The MP4 (supports Range requests)")
_artifact_route("captions.srt", "Captions as SubRip")
_artifact_route("captions.vtt", "Captions as WebVTT")
_artifact_route("thumbnail", "A JPEG thumbnail")
_artifact_route("chapters.txt", "Chapters at scene titles, `0:00 Title` a line (a YouTube description)")


@router.delete("/{job_id}", response_model=JobOut, summary="Cancel a job, or delete its document and files")
async def cancel_job(
    job_id: str,
    service: ServiceDep,
    principal: PrincipalDep,
    purge: Annotated[
        bool, Query(description="also delete the document and the video files; the job stays as a tombstone")
    ] = False,
) -> JobOut:
    """Cancel a waiting or running job (a running render stops at once). With `purge=1`, also delete
    its document and all its files, whatever its state; its record stays (status, timings, errors,
    `purged_at`) and can no longer be retried."""
    await visible_job(service, principal, job_id)
    try:
        if purge:
            record = await (await service.lifecycle()).purge(job_id)
        else:
            record = await service.optimizer.parts.queue.cancel_job(job_id)
    except JobNotFound:
        raise HTTPException(404, f"no job {job_id!r}") from None
    return _out(service, record)


@router.post("/{job_id}/retry", response_model=JobOut, summary="Queue a failed or cancelled job again")
async def retry_job(job_id: str, service: ServiceDep, principal: PrincipalDep) -> JobOut:
    if (await visible_job(service, principal, job_id)).purged:
        raise HTTPException(409, f"job {job_id!r} was purged: its document is deleted; submit it again")
    try:
        record = await service.optimizer.parts.queue.retry_job(job_id)
    except JobNotFound:
        raise HTTPException(404, f"no job {job_id!r}") from None
    for worker in service.optimizer.parts.workers:
        worker.wakeup.set()
    return _out(service, record)
