"""Where a document's images may come from, and what one may cost.

Who gave the document decides (`Trust`, as for voices): the operator's documents (the CLI, jobs from
`t2v submit` or the operator's own code) may show files under the document's folder or the
`--assets-root` they name, and remote images when they turn them on; a document an API caller sent
has no folder, so it shows no server file whatever it names, and remote images only when the
operator set `T2V_ALLOW_REMOTE_IMAGES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.config import Settings
from app.core.queue_manager import Trust
from app.errors import InputError
from app.services.images.limits import MediaLimits
from app.services.models import RenderOptions

# What a caller's documents are told, and what the operator is told, when an image is not allowed.
CALLER_NO_FOLDER = "documents sent to the service have no folder, so they cannot show local images"
CALLER_REMOTE_OFF = "this server does not fetch remote images"
STDIN_NO_FOLDER = "a document read from stdin has no folder: pass --assets-root DIR"
OPERATOR_REMOTE_OFF = "remote images are off: pass --allow-remote-images (or set T2V_ALLOW_REMOTE_IMAGES=1)"


@dataclass(frozen=True)
class ImagePolicy:
    """What one render's images may be.

    `root`: the folder local images resolve against and must stay inside (symlinks followed); None
    refuses local images, with `no_root` saying why. `allow_remote`: http(s) images, public addresses
    only; when off, `remote_off` says how to turn them on. `skip_missing`: an image that cannot be
    used becomes a placeholder (a neutral panel with its alt text) and a warning, not an error.
    `frame`: the output frame, so an image is kept no larger than it needs to cover it.
    """

    root: Path | None = None
    allow_remote: bool = False
    skip_missing: bool = False
    frame: tuple[int, int] = (1920, 1080)
    limits: MediaLimits = field(default_factory=MediaLimits.for_images)
    no_root: str = STDIN_NO_FOLDER
    remote_off: str = OPERATOR_REMOTE_OFF

    def __post_init__(self) -> None:
        if self.root is not None:
            object.__setattr__(self, "root", checked_root(self.root))

    @classmethod
    def for_render(
        cls,
        options: RenderOptions,
        trust: Trust,
        settings: Settings,
        document_dir: Path | None = None,
    ) -> ImagePolicy:
        """The policy of one render: `document_dir` is the folder of a document read from a file
        (None for stdin, an upload, a job's bytes); `options.assets_root` replaces it for the
        operator. A caller's render never gets a folder, whatever its options or payload say."""
        skip, frame, limits = (
            options.skip_missing_images,
            options.video_format.size,
            MediaLimits.for_images(settings),
        )
        if trust is Trust.OPERATOR:
            root = options.assets_root or document_dir
            remote = options.allow_remote_images or settings.allow_remote_images
            return cls(Path(root) if root else None, remote, skip, frame, limits)
        return cls(
            None, settings.allow_remote_images, skip, frame, limits, CALLER_NO_FOLDER, CALLER_REMOTE_OFF
        )


def checked_root(root: Path) -> Path:
    """The root as a real directory path (symlinks resolved), or one clear error."""
    try:
        real = Path(root).expanduser().resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise InputError(f"assets root {str(root)!r}: no such directory") from exc
    if not real.is_dir():
        raise InputError(f"assets root {str(root)!r} is not a directory")
    return real
