"""The studio's API: preview a job's plan before rendering (`POST /v1/plan`), and read, edit and
re-render a job's storyboard (`GET`/`PUT /v1/jobs/{id}/storyboard`).

A job's storyboard is the Plan it renders: a storyboard job's own, or its document planned as the
worker plans it. It is planned once and kept with the job in the job store (an attachment, deleted
when the job is purged), so reading it again costs one row and gives the same scenes every time. An
edit replaces it there in the store transaction that queues it as a new job whose `parent` is the
edited one (both or neither: a re-render the key's limits refuse leaves the storyboard and its
pictures as they were; the pictures an accepted edit no longer names are deleted, since they count in
the key's quota); the render cache makes only the changed scenes again. `revision` (also the ETag)
counts the storyboard's saved writes (1 as first planned; the store bumps it); the store writes an
edit only if the storyboard is still at the revision the editor read (one atomic compare-and-set,
whichever server or process answers), else 409: two editors never overwrite each other unseen, not
even after an edit that was undone (A->B->A is revision 3, not A's 1 again).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse

from app.api.intake import Submission
from app.api.pictures import PICTURES, inline_pictures, keep_pictures, name_pictures
from app.api.routes import SUBMISSION_BODY, accepted, enqueue_submission, read_submission
from app.api.service import PrincipalDep, ReadableJob, Service, ServiceDep, visible_job
from app.core.jobstore.base import AttachmentEdit, JobPriority, JobRecord, StaleAttachment
from app.core.queue_manager import FileContext, Trust
from app.core.threads import run_in_thread
from app.errors import InputError
from app.services.images import ImagePolicy, MediaLimits, plan_images
from app.services.models import RenderOptions
from app.services.options import parse_render_options
from app.services.planning import Plan, Scene, StoryboardError, dump_storyboard, parse_storyboard
from app.services.render_job import UPLOADED_MUSIC, check_storyboard, plan_of_job, storyboard_context
from app.services.visuals import Theme, load_theme

router = APIRouter(tags=["studio"])

STORYBOARD = "storyboard"  # the job store attachment holding a job's storyboard
ENVELOPE = ("revision", "job", "thumbnails")  # what GET adds to the plan; a PUT may send them back
CONDENSING = ("duration", "max_duration")  # done when the plan was made: a storyboard renders as is
SAMPLES = {  # what a voice says when a caller listens to it, by language (else English)
    "vi": "Xin chào, đây là giọng đọc này.",
    "en": "Hello, this is how this voice sounds.",
    "fr": "Bonjour, voici comment sonne cette voix.",
    "de": "Hallo, so klingt diese Stimme.",
    "es": "Hola, así suena esta voz.",
}


def _gone(job: JobRecord) -> HTTPException:
    return HTTPException(410, f"job {job.id!r} was purged: its document is deleted")


async def _current(service: Service, job: JobRecord) -> tuple[Plan, int]:
    """The job's storyboard and its revision: the one kept with the job, else the plan it renders,
    planned now and kept (if another server kept one first, that one); its pictures are kept with
    the job and named by id (`pictures.keep_pictures`)."""
    store = await service.store()
    held = await store.get_attachment(job.id, STORYBOARD)
    if held is None:
        planned = await run_in_thread(
            plan_of_job, service.runtime.renderer, FileContext.from_payload(job.payload), service.settings
        )
        plan = await keep_pictures(store, job.id, planned)
        text = dump_storyboard(plan, "json")
        if (revision := await store.put_attachment(job.id, STORYBOARD, text, expected=None)) is not None:
            return plan, revision
        held = await store.get_attachment(job.id, STORYBOARD)
        if held is None:  # purged meanwhile
            raise _gone(job)
    plan = await run_in_thread(parse_storyboard, held.body, "json", STORYBOARD)
    return plan, held.revision


def _body(plan: Plan, job_id: str | None = None, token: str = "", rev: int = 0) -> dict[str, Any]:
    body: dict[str, Any] = plan.model_dump(mode="json")
    if job_id is not None:
        thumbs = [
            f"/v1/jobs/{job_id}/storyboard/scenes/{i}.jpg?revision={rev}&token={token}"
            for i in range(len(plan.scenes))
        ]
        body = {"version": plan.version, "revision": rev, "job": job_id, "thumbnails": thumbs, **body}
    return body


async def _editable(service: Service, principal: Any, job_id: str) -> JobRecord:
    job = await visible_job(service, principal, job_id)
    if job.purged:
        raise _gone(job)
    return job


@router.post(
    "/v1/plan",
    summary="Preview the plan of a document: the scenes a job would render",
    openapi_extra=SUBMISSION_BODY,
)
async def preview_plan(request: Request, service: ServiceDep, principal: PrincipalDep) -> JSONResponse:
    """The same body as `POST /v1/jobs`; answers the Plan (scenes with layout, shown text and
    narration) without queueing anything. 422 for what the job would be refused for."""
    submission, _ = await read_submission(request, service, music=False)
    plan = await run_in_thread(plan_of_job, service.runtime.renderer, submission.context, service.settings)
    return JSONResponse(_body(plan))


@router.get("/v1/jobs/{job_id}/storyboard", summary="A job's storyboard (its Plan), to edit")
async def get_storyboard(
    job_id: str,
    service: ServiceDep,
    principal: PrincipalDep,
    pictures: Annotated[
        Literal["ids", "inline"],
        Query(description="'ids': pictures as `attachment:ID` of this job; 'inline': as data: URLs"),
    ] = "ids",
) -> JSONResponse:
    """The Plan with `revision` (also the ETag): PUT it back, edited, to re-render. Its pictures
    are named by id (kept with the job) unless `pictures=inline` asks for a storyboard that stands
    alone (data: URLs, e.g. to render it with the CLI)."""
    job = await _editable(service, principal, job_id)
    plan, rev = await _current(service, job)
    if pictures == "inline":
        try:
            plan = await inline_pictures(await service.store(), job.id, plan)
        except StoryboardError:  # an edit saved between the two reads deleted a picture: read it
            plan, rev = await _current(service, job)
            plan = await inline_pictures(await service.store(), job.id, plan)
    body = _body(plan, job.id, service.tokens.issue(job.id), rev)
    return JSONResponse(body, headers={"ETag": f'"{body["revision"]}"', "Cache-Control": "no-store"})


def _problems(name: str, data: dict[str, Any]) -> None:
    """What a storyboard from the editor may not be beyond its model: a scene that says and shows
    no words (no narration, no title) unless it is a deliberately held silent scene."""
    problems = []
    for i, scene in enumerate(data.get("scenes") or []):
        if not isinstance(scene, dict):
            continue
        said = str(scene.get("narration") or "").strip()
        titled = str(scene.get("title") or "").strip()
        if not said and not titled and scene.get("pause_after") is None:
            problems.append(f"scenes[{i}].narration: a scene needs narration or a title")
    if problems:
        raise StoryboardError(name, problems)


def _revision(given: Any) -> int | None:
    """The revision a PUT names, as the store counts it; None for one that cannot be current (a
    digest revision read before revisions were counted is stale: 409, GET again)."""
    if isinstance(given, bool) or not isinstance(given, int | str):
        raise StoryboardError("storyboard", ["revision: the revision GET returned (a number)"])
    text = str(given).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


@router.put(
    "/v1/jobs/{job_id}/storyboard",
    status_code=202,
    summary="Save an edited storyboard and re-render it as a new job",
    responses={
        409: {"description": "the storyboard changed since it was read (stale revision); nothing saved"},
        422: {"description": "one line per problem in `problems`, each with its JSON path"},
        429: {"description": "the key's waiting jobs or stored bytes refuse the re-render; nothing saved"},
    },
)
async def put_storyboard(
    job_id: str, request: Request, service: ServiceDep, principal: PrincipalDep
) -> JSONResponse:
    """What `GET` returned, edited (`revision` in the body or an `If-Match` header). Answers 202
    with the new job (its `parent` is this one); its captions show the edited narration."""
    if service.draining:
        raise HTTPException(503, "the server is shutting down; submit again shortly")
    job = await _editable(service, principal, job_id)
    try:
        data = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError("the body is not a JSON storyboard") from None
    if not isinstance(data, dict):
        raise StoryboardError(
            "storyboard", ["(top level): a storyboard is an object with 'version' and 'scenes'"]
        )
    given = data.get("revision")
    if given is None or given == "":
        given = request.headers.get("if-match", "").strip('W/"') or None
    for key in ENVELOPE:
        data.pop(key, None)
    if given is None:
        raise StoryboardError("storyboard", ["revision: required (send back the revision GET returned)"])
    expected = _revision(given)
    _problems("storyboard", data)
    store = await service.store()
    named = parse_storyboard(json.dumps(data).encode("utf-8"), "json", "storyboard")
    plan = await inline_pictures(store, job.id, named)  # checked and rendered as data: URLs
    parent = FileContext.from_payload(job.payload)
    options = {k: v for k, v in parent.options.items() if k not in CONDENSING}
    parsed = parse_render_options(
        options, trust=parent.trust, settings=service.settings, config=service.runtime.renderer.tts.config
    )
    check_storyboard(
        plan,
        parsed,
        ImagePolicy.for_render(parsed, parent.trust, service.settings),
        "storyboard",
        trust=parent.trust,
        config=service.runtime.renderer.tts.config,
    )
    current = await store.attachment_revision(job.id, STORYBOARD)  # the revision alone, no body
    if current is None:  # never read: planned and kept now, as a GET would have (410 if purged)
        _, current = await _current(service, job)
    if expected != current:
        raise _stale(given, current)
    # music uploaded with the edited job plays under its re-render too: the same file, in its files
    music = service.settings.artifacts_dir / job.id / parent.music if parent.music else None
    if parent.music is not None and not UPLOADED_MUSIC.fullmatch(parent.music):
        raise HTTPException(409, f"job {job.id!r} has music this server did not name; submit it again")
    # Saved with the new job or not at all (a refused enqueue changes nothing): the pictures sent as
    # data: URLs are stored, those it no longer names deleted, in the enqueue's own transaction.
    kept, parts = name_pictures(named)
    edit = AttachmentEdit(job.id, STORYBOARD, dump_storyboard(kept, "json"), expected, PICTURES, parts)
    context = dataclasses.replace(
        storyboard_context(plan, options, parent.trust, parent.filename), parent=job.id, music=parent.music
    )
    submission = Submission(context, JobPriority(job.priority), context.size or 0, staged=music)
    try:
        record = await enqueue_submission(service, principal, submission, owner=job.owner, edit=edit)
    except StaleAttachment:  # another edit came first (or the job was purged meanwhile)
        current = await store.attachment_revision(job.id, STORYBOARD)
        if current is None:
            raise _gone(job) from None
        raise _stale(given, current) from None
    return accepted(service, record)


def _stale(given: Any, current: int) -> HTTPException:
    return HTTPException(
        409,
        f"the storyboard changed since revision {str(given)[:16]!r} was read;"
        f" GET it again (current: {current!r})",
    )


@router.get(
    "/v1/voices/sample",
    summary="A short sample of a voice (WAV), made by the server once and cached",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}}}, 422: {"description": "not a voice you may choose"}},
)
async def voice_sample(
    service: ServiceDep,
    principal: PrincipalDep,
    voice: Annotated[str, Query(max_length=200, description="an id from GET /v1/voices")],
) -> FileResponse:
    """One sentence in the voice's language, so a caller can hear it before choosing it."""
    tts = service.runtime.renderer.tts
    options = parse_render_options(
        {"voice": voice}, trust=Trust.CALLER, settings=service.settings, config=tts.config
    )
    spec = options.voice or voice
    if "*" in spec or "," in spec:
        raise InputError("listen to one named voice (no '*', no failover chain)")
    language = spec.split(":", 1)[-1].split("-")[0].split("+")[0].lower()
    text = SAMPLES.get(language, SAMPLES["en"])
    digest = hashlib.sha256(f"{spec}\n{text}\n{options.rate}".encode()).hexdigest()[:24]
    path = Path(service.settings.cache_dir) / "voice-samples" / f"{digest}.wav"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{digest}.{os.getpid()}.{id(path)}.wav")
        try:
            await tts.speak(
                text, spec, options.rate, tmp, language=language if spec.startswith("espeak") else None
            )
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "private, max-age=86400"})


THUMB_WIDTH = 320


@router.get(
    "/v1/jobs/{job_id}/storyboard/scenes/{index}.jpg",
    summary="A small picture of one storyboard scene's slide (JPEG; signed links work)",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}},
)
async def scene_thumbnail(job: ReadableJob, index: int, service: ServiceDep) -> FileResponse:
    """The scene drawn as the render draws it (its picture too), 320 px wide, cached by content."""
    if job.purged:
        raise _gone(job)
    scene = await _kept_scene(service, job, index)
    parent = FileContext.from_payload(job.payload)
    options = parse_render_options(
        {k: v for k, v in parent.options.items() if k not in CONDENSING},
        trust=parent.trust,
        settings=service.settings,
        config=service.runtime.renderer.tts.config,
    )
    # its picture named by id: a digest of the picture, as good as a key
    key = json.dumps(
        [
            scene.model_dump(mode="json"),
            options.aspect,
            options.resolution,
            options.theme,
            options.burn_captions,
        ]
    )
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    path = Path(service.settings.cache_dir) / "scene-thumbnails" / f"{digest}.jpg"
    if not path.is_file():
        work = path.with_name(f".{digest}.{os.getpid()}.{id(scene)}.png")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            theme = await run_in_thread(load_theme, options.theme)
            drawn = (await inline_pictures(await service.store(), job.id, Plan(scenes=[scene]))).scenes[0]
            try:
                await _draw(service, drawn, options, theme, work)
            except Exception as exc:  # a scene that cannot be drawn
                raise HTTPException(404, f"scene {index} has no thumbnail: {type(exc).__name__}") from None
            await run_in_thread(_shrink, work, path)
        finally:
            work.unlink(missing_ok=True)
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


async def _kept_scene(service: Service, job: JobRecord, index: int) -> Scene:
    """One scene of the job's storyboard, validated alone: the kept JSON was checked whole when it was
    written, and a storyboard's N thumbnails would otherwise validate all N scenes N times."""
    held = await (await service.store()).get_attachment(job.id, STORYBOARD)
    scenes: list[Any] = json.loads(held.body)["scenes"] if held else (await _current(service, job))[0].scenes
    if not 0 <= index < len(scenes):
        raise HTTPException(404, f"the storyboard has no scene {index}")
    return scenes[index] if isinstance(scenes[index], Scene) else Scene.model_validate(scenes[index])


async def _draw(service: Service, scene: Scene, options: RenderOptions, theme: Theme, out: Path) -> None:
    """`scene` drawn as the render draws it, its picture included: the render's own image service and
    drawing, at the video's size. A picture written into the storyboard (a `data:` URL: an upload, a
    Word file's image) is drawn; one the thumbnail would have to read from a file or fetch is never
    read, and shows as the render's placeholder panel (its alt text) in the same place."""
    renderer = service.runtime.renderer
    work = Path(await run_in_thread(tempfile.mkdtemp, ".thumb", "", str(service.settings.cache_dir)))
    try:
        if scene.image is not None:
            policy = ImagePolicy(
                None,
                allow_remote=False,
                skip_missing=True,
                frame=options.video_format.size,
                limits=MediaLimits.for_images(service.settings),
            )
            one = Plan(scenes=[scene])
            scene = (await renderer.images.resolve(plan_images(one), policy, work)).apply(one).scenes[0]
        await renderer.visuals.draw_scene(
            scene, options.video_format, theme, None, out, captions_burned=options.burn_captions
        )
    finally:
        await run_in_thread(shutil.rmtree, work, True)


def _shrink(png: Path, out: Path) -> None:
    from PIL import Image

    with Image.open(png) as image:
        image = image.convert("RGB")
        image.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 2))
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        image.save(tmp, "JPEG", quality=82)
    os.replace(tmp, out)
