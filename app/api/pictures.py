"""A storyboard's pictures kept once with their job, so GET/PUT bodies carry ids, not picture bytes.

Pictures a reader took out of a Word or PDF file (and pictures uploaded in the editor) are `data:`
URLs in the Plan: a storyboard with a few photos is megabytes, sent whole on every GET and PUT. At
the API's edge each such picture is stored with the job as an attachment named `picture:<id>` (the
id is a digest of the data: URL, so one picture is stored once) and the storyboard names it
`attachment:<id>`. Going in, every `attachment:` is put back as its data: URL before anything else
looks at the storyboard, so the checks, limits, thumbnails and the render see what they always saw.
An id only names a picture of the same job: never a URL, never anything the server would fetch or
read elsewhere. Storyboards holding data: URLs are still accepted. An accepted edit stores the
pictures it brings and deletes those it no longer names (`name_pictures` gives them to the store's
`AttachmentEdit`), so a job keeps only what its storyboard shows, and that counts in the key's quota.
"""

from __future__ import annotations

import hashlib
import re

from app.core.jobstore.base import JobStore
from app.services.planning import Plan, StoryboardError

SCHEME = "attachment:"
PICTURES = "picture:"  # the attachments that hold a job's pictures are named PICTURES + id
_REF = re.compile(r"attachment:([0-9a-f]{32})")


def name_pictures(plan: Plan) -> tuple[Plan, dict[str, str | None]]:
    """`plan` with each data: URL picture named by its id, and every picture it names afterwards:
    attachment name -> the data: URL (one to store if the job lacks it), or None (named by id already)."""
    scenes, parts = [], dict[str, str | None]()
    for scene in plan.scenes:
        image = scene.image
        if image is not None and image.path.startswith("data:"):
            picture_id = hashlib.sha256(image.path.encode("utf-8")).hexdigest()[:32]
            parts[PICTURES + picture_id] = image.path
            scene = scene.model_copy(update={"image": image.model_copy(update={"path": SCHEME + picture_id})})
        elif image is not None and (match := _REF.fullmatch(image.path)):
            parts.setdefault(PICTURES + match[1], None)
        scenes.append(scene)
    return plan.model_copy(update={"scenes": scenes}), parts


async def keep_pictures(store: JobStore, job_id: str, plan: Plan) -> Plan:
    """`plan` with each data: URL picture stored with the job (once) and named by its id."""
    named, parts = name_pictures(plan)
    for name, body in parts.items():
        if body is not None:  # refused when it is there already (the same picture): kept either way
            await store.put_attachment(job_id, name, body, expected=None)
    return named


async def inline_pictures(store: JobStore, job_id: str, plan: Plan, name: str = "storyboard") -> Plan:
    """`plan` with each `attachment:` picture put back as the data: URL kept with the job; one
    problem line per reference that names no picture of this job (StoryboardError, 422)."""
    scenes, problems = [], []
    read: dict[str, str | None] = {}  # a picture shown by several scenes is read once
    for i, scene in enumerate(plan.scenes):
        image = scene.image
        if image is not None and image.path.startswith(SCHEME):
            match = _REF.fullmatch(image.path)
            if match and match[1] not in read:
                held = await store.get_attachment(job_id, PICTURES + match[1])
                read[match[1]] = None if held is None else held.body
            body = read[match[1]] if match else None
            if body is None:
                problems.append(f"scenes[{i}].image.path: {image.path[:60]!r} is no picture of this job")
                continue
            scene = scene.model_copy(update={"image": image.model_copy(update={"path": body})})
        scenes.append(scene)
    if problems:
        raise StoryboardError(name, problems)
    return plan.model_copy(update={"scenes": scenes})
