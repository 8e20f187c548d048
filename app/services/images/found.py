"""Which images a document shows.

A document's `Content` (what its reader found) carries its images as `ImageBlock`s and the pictures
of its `Page`s; a storyboard's Plan carries them as `ImageRef`s.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass

from markdown_it import MarkdownIt

from app.errors import ImageError
from app.services.documents import Content, Document, ImageBlock, Page, read_document, strip_front_matter
from app.services.images.decode import sniff
from app.services.images.policy import ImagePolicy
from app.services.images.sources import ImageLike, SourceKind, classify, decode_data_url, locate, refusal
from app.services.planning import Plan


@dataclass(frozen=True)
class FoundImage:
    """An image named by a Plan or raw Markdown (the shape of `ImageBlock`)."""

    src: str
    alt: str = ""
    data: bytes | None = None


def document_images(document: Document | Content) -> list[ImageLike]:
    """The images a document shows, in order: its image blocks and its pages' pictures."""
    content = read_document(document) if isinstance(document, Document) else document
    found: list[ImageLike] = []
    for block in content.blocks:
        if isinstance(block, ImageBlock):
            found.append(block)
        elif isinstance(block, Page):
            if block.picture is not None:
                found.append(block.picture)
            found.extend(block.images)
    return found


def plan_images(plan: Plan) -> list[FoundImage]:
    """The images a Plan shows (a storyboard read from a file has no Document): `ImageRef.path` as
    written, relative to the storyboard's folder."""
    return [FoundImage(s.image.path, s.image.alt) for s in plan.scenes if s.image is not None]


def embed_images(plan: Plan, images: Iterable[ImageLike]) -> Plan:
    """The plan with each picture a reader took out of the document file itself (a DOCX's images, a
    PDF's pages) written into it as a `data:` URL; other references stay as written.

    Why: such a picture is named after the document (`report.docx#image1.png`), a path that means
    nothing outside that reading. Written in, the plan stands alone as a storyboard: an API caller
    (whose documents have no folder) can edit it and send it back, and its render still shows the
    pictures, read from the storyboard itself, never from a file or the network. The bytes are the
    document's own, unchanged, so the picture (and its scene) comes from the render cache again."""
    embedded = {i.src: d for i in images if isinstance(d := getattr(i, "data", None), bytes)}
    if not embedded or not any(s.image is not None and s.image.path in embedded for s in plan.scenes):
        return plan
    scenes = []
    for scene in plan.scenes:
        data = embedded.get(scene.image.path) if scene.image is not None else None
        if scene.image is not None and data is not None:
            image = scene.image.model_copy(update={"path": data_url(data)})
            scene = scene.model_copy(update={"image": image})
        scenes.append(scene)
    return plan.model_copy(update={"scenes": scenes})


def data_url(data: bytes) -> str:
    """`data:image/TYPE;base64,...` for an image's bytes (the type sniffed, as the render does)."""
    try:
        kind = sniff(data)
    except ImageError:
        kind = None
    media = {"svg": "image/svg+xml", None: "application/octet-stream"}.get(kind, f"image/{kind}")
    return f"data:{media};base64,{base64.b64encode(data).decode('ascii')}"


def plan_image_problems(plan: Plan, policy: ImagePolicy) -> list[str]:
    """A storyboard's images checked where they are named, one problem line per image with its JSON
    path (`scenes[3].image.path: ...`): a kind the policy refuses, a local file missing or outside
    the allowed folders, a data: URL too large or not an image of a supported type (its bytes are in
    the storyboard: an editor's upload is refused at once, not when the render gets to it). No file
    is read, nothing fetched (the render resolves them in full)."""
    if policy.skip_missing:
        return []
    problems = []
    for i, scene in enumerate(plan.scenes):
        if scene.image is None:
            continue
        try:
            ref = classify(scene.image.path)
            why = refusal(ref, policy)
            if why:
                raise ImageError(f"image {ref.shown}: {why}")
            if ref.kind is SourceKind.LOCAL and policy.root is not None:
                locate(ref, policy.root)
            if ref.kind is SourceKind.DATA:  # in the storyboard itself: its size and type, now
                data = decode_data_url(ref, policy.limits)
                try:
                    sniff(data)
                except ImageError as exc:
                    raise ImageError(f"image {ref.shown} {exc}") from None
        except ImageError as exc:
            problems.append(f"scenes[{i}].image.path: {exc}")
    return problems


def markdown_images(text: str) -> list[FoundImage]:
    """`![alt](src)` and `![alt][ref]` images, in order (the source as the parser normalized it)."""
    if "![" not in text:  # the common case costs a scan, not a parse
        return []
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    found: list[FoundImage] = []
    for token in md.parse(strip_front_matter(text)):
        for child in token.children or ():
            if child.type == "image":
                found.append(FoundImage(str(child.attrs.get("src", "")), child.content))
    return found
