"""The API's request and response shapes: what clients send and see, never the store's internals
(server paths, lease tokens and owners stay inside)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.jobstore.base import JobRecord

PriorityName = Literal["low", "normal", "high", "urgent"]


class JobCreate(BaseModel):
    """A document given as text in a JSON body."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, description="The document, Markdown or plain text (UTF-8).")
    storyboard: dict[str, Any] | None = Field(
        default=None,
        description="instead of text: a storyboard (a plan, see t2v plan --schema), rendered as written",
    )
    url: str | None = Field(
        default=None,
        max_length=2000,
        description="instead of text: a web page or document to fetch (only when the server allows it: "
        "T2V_ALLOW_FETCH; public addresses only)",
    )
    format: Literal["md", "txt"] | None = Field(
        default=None, description="md or txt; guessed from the text when omitted"
    )
    priority: PriorityName | int = Field(default="normal", description="low, normal, high or urgent")
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="render options (see the README): voice, aspect, preset, caption_style, ...",
    )
    id: str | None = Field(default=None, description="your own job id (letters, digits, '.', '_', '-')")
    name: str | None = Field(default=None, max_length=200, description="a display name for the document")

    @model_validator(mode="after")
    def _one_source(self) -> JobCreate:
        if sum(x is not None for x in (self.text, self.storyboard, self.url)) != 1:
            raise ValueError("send one of 'text', 'storyboard' or 'url'")
        return self


class AttemptErrorOut(BaseModel):
    attempt: int
    error: str
    at: datetime
    retry_at: datetime | None = None


class Timings(BaseModel):
    queued_at: datetime
    run_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    wait_seconds: float | None = Field(default=None, description="queued to started (last attempt)")
    run_seconds: float | None = Field(default=None, description="started to finished")


class JobResultOut(BaseModel):
    duration: float | None = None
    size_bytes: int | None = None
    scenes: int | None = None
    voice: str | None = Field(default=None, description="the voice spec as it was asked for")
    engines: list[str] | None = Field(
        default=None, description="the engine that spoke each scene (shows a voice chain's failovers)"
    )
    visuals: list[str] | None = Field(
        default=None, description="the provider that made each scene's picture ('slides', 'local', ...)"
    )
    credits: list[str] | None = Field(
        default=None, description="stock pictures' photographer and source, per scene (licence notes)"
    )
    render_seconds: float | None = None
    captions_burned: bool | None = Field(
        default=None, description="captions drawn into the picture (a player shows its track off then)"
    )


class JobLinks(BaseModel):
    """Relative URLs. Read-only ones carry a short-lived `token` so that `<video>`, downloads and
    EventSource work without an Authorization header."""

    self: str
    events: str
    video: str | None = None
    captions_srt: str | None = None
    captions_vtt: str | None = None
    thumbnail: str | None = None
    chapters: str | None = Field(default=None, description="the `0:00 Title` chapter list (text)")


class JobOut(BaseModel):
    id: str
    status: str
    priority: str
    name: str | None = None
    stage: str | None = None
    percent: float
    attempts: int
    max_attempts: int
    errors: list[AttemptErrorOut]
    timings: Timings
    options: dict[str, Any]
    result: JobResultOut | None = None
    purged_at: datetime | None = Field(
        default=None, description="when its document and files were deleted (by its owner or retention)"
    )
    parent: str | None = Field(
        default=None, description="the job this one re-renders with an edited storyboard (PUT .../storyboard)"
    )
    links: JobLinks


class VoiceOut(BaseModel):
    """A voice an API caller may choose (`GET /v1/voices`)."""

    id: str = Field(description="the spec to send as options.voice, e.g. espeak:vi")
    engine: str
    name: str
    any_name: bool = Field(
        default=False, description="the id's `*` stands for any voice name that server knows, e.g. openai:*"
    )


class MusicOut(BaseModel):
    """A music track API callers may name as options.music (`GET /v1/music`)."""

    name: str = Field(description="send as options.music; '*' picks among all of them")
    size_bytes: int


class JobList(BaseModel):
    jobs: list[JobOut]
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset of the next page; null on the last page")


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def _dt(ts: float | None) -> datetime | None:
    return _at(ts) if ts is not None else None


def job_out(job: JobRecord, token: str) -> JobOut:
    base = f"/v1/jobs/{job.id}"
    q = f"?token={token}"
    done = job.status.value == "completed" and not job.purged  # a purged job has no files
    result = job.result or {}
    has_thumb = bool(result.get("thumbnail"))
    has_chapters = bool(result.get("chapters"))
    wait = run = None
    if job.started_at is not None:
        wait = round(max(0.0, job.started_at - job.queued_at), 3)
        if job.finished_at is not None:
            run = round(max(0.0, job.finished_at - job.started_at), 3)
    return JobOut(
        id=job.id,
        status=job.status.value,
        priority=job.priority.name.lower(),
        name=job.payload.get("filename"),
        stage=job.stage,
        percent=job.percent,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        errors=[
            AttemptErrorOut(attempt=e.attempt, error=e.error, at=_at(e.at), retry_at=_dt(e.retry_at))
            for e in job.errors
        ],
        timings=Timings(
            queued_at=_at(job.queued_at),
            run_at=_at(job.run_at),
            started_at=_dt(job.started_at),
            finished_at=_dt(job.finished_at),
            wait_seconds=wait,
            run_seconds=run,
        ),
        options=dict(job.payload.get("options") or {}),
        result=JobResultOut.model_validate({k: result.get(k) for k in JobResultOut.model_fields})
        if done
        else None,
        purged_at=_dt(job.purged_at),
        parent=job.payload.get("parent"),
        links=JobLinks(
            self=base,
            events=f"{base}/events{q}",
            video=f"{base}/video{q}" if done else None,
            captions_srt=f"{base}/captions.srt{q}" if done else None,
            captions_vtt=f"{base}/captions.vtt{q}" if done else None,
            thumbnail=f"{base}/thumbnail{q}" if done and has_thumb else None,
            chapters=f"{base}/chapters.txt{q}" if done and has_chapters else None,
        ),
    )
