"""Images a document shows: found, checked against who may name what, read or fetched, decoded
safely and normalized into local PNGs that drawing can trust.

    images = ImageService(http=tts.http, cache=cache, resources=resources)
    policy = ImagePolicy.for_render(options, trust, settings, document_dir)
    resolved = await images.resolve_document_images(document, policy, workdir)  # src -> ResolvedImage
    plan = resolved.apply(plan)  # every ImageRef.path now a validated local PNG
    # a storyboard (a Plan without a Document): images.resolve(plan_images(plan), policy, workdir)

- Local paths resolve (symlinks followed) inside the document's folder or the operator's
  `--assets-root`; a document from stdin needs `--assets-root`; a document an API caller sent has
  no folder, so it never shows a server file.
- Remote http(s) images only when allowed (`--allow-remote-images`, `T2V_ALLOW_REMOTE_IMAGES`),
  public addresses only, through the one pooled HTTP client with size, time and type limits.
- The type is sniffed from the bytes: PNG, JPEG, WebP, GIF (first frame), SVG (resvg, checked
  self-contained first). Sizes are checked before decoding (`T2V_MAX_IMAGE_PIXELS`,
  `T2V_MAX_IMAGE_BYTES`); EXIF orientation and ICC colours applied; scaled down to cover the frame.
- Every refusal is one `ImageError` naming the image (exit 2, HTTP 422), or, with
  `skip_missing_images`, a placeholder panel with the alt text and a warning.
- `check_references` is the cheap check for submissions (no file or network access).
"""

from app.services.images.found import (
    document_images,
    embed_images,
    markdown_images,
    plan_image_problems,
    plan_images,
)
from app.services.images.limits import MediaLimits
from app.services.images.policy import ImagePolicy
from app.services.images.service import ImageService, ResolvedImage, ResolvedImages
from app.services.images.sources import ImageLike, check_references

__all__ = [
    "ImageLike",
    "ImagePolicy",
    "ImageService",
    "MediaLimits",
    "ResolvedImage",
    "ResolvedImages",
    "check_references",
    "document_images",
    "embed_images",
    "markdown_images",
    "plan_image_problems",
    "plan_images",
]
