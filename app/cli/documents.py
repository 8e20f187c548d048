"""The options and helpers of the commands that read a document: the limits of packed formats,
pages, slide pictures, and documents fetched by URL (issue 16)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.flags import FlagGroup
from app.config import Settings, setting_default
from app.core.fsutil import human_size

if TYPE_CHECKING:
    from app.services.documents import Document

MAX_INPUT = human_size(setting_default("max_input_bytes"))
MAX_DOCUMENT = human_size(setting_default("max_document_bytes"))
MaxInputSizeOption = Annotated[
    int | None,
    typer.Option(help=f"Largest accepted text document in bytes (default {MAX_INPUT})."),
]
# documents (issue 16): the limits of packed formats (text keeps --max-input-size)
MaxDocumentSizeOption = Annotated[
    int | None,
    typer.Option(
        "--max-document-size",
        metavar="BYTES",
        help=f"Largest PDF, DOCX, PPTX, EPUB or HTML document (default {MAX_DOCUMENT}).",
    ),
]
MaxPagesOption = Annotated[
    int | None,
    typer.Option(
        "--max-pages", help=f"Most PDF pages or slides read (default {setting_default('max_pages')})."
    ),
]
AllowFetchOption = Annotated[
    bool,
    typer.Option("--allow-fetch", help="Read a web address (INPUT https://...): public addresses only."),
]
AllowPrivateUrlsOption = Annotated[
    bool,
    typer.Option(
        "--allow-private-urls", help="With --allow-fetch: also loopback, private and link-local addresses."
    ),
]
PagesOption = Annotated[
    str | None,
    typer.Option("--pages", metavar="N-M", help="Only these pages (PDF) or slides (PPTX): N, N-M or N-."),
]
PptxPictureOption = Annotated[
    str,
    typer.Option(
        "--pptx-picture",
        metavar="auto|libreoffice|redraw",
        help="A slide's picture: LibreOffice's rendering (auto: when installed) or redrawn by t2v.",
    ),
]


async def fetch_input(source: str, settings: Settings, limits: object, reading: object) -> Document:
    """The document at a web address (the operator allowed fetching), through a fetching client."""
    from app.services.documents import DocumentLimits, ReadOptions, fetch_client, fetch_document, fetch_limits

    assert isinstance(limits, DocumentLimits) and isinstance(reading, ReadOptions)
    http = fetch_client(settings)
    try:
        return await fetch_document(source, http, fetch_limits(settings), limits, reading)
    finally:
        await http.aclose()


@dataclass(frozen=True)
class DocumentFlags(FlagGroup):
    """How a document is read: which pages, a slide's picture, whether a web address may be fetched."""

    pages: PagesOption = None
    pptx_picture: PptxPictureOption = "auto"
    allow_fetch: AllowFetchOption = False
    allow_private_urls: AllowPrivateUrlsOption = False

    def settings(self) -> dict[str, object]:
        return {
            "allow_fetch": self.allow_fetch or None,
            "allow_private_urls": self.allow_private_urls or None,
        }

    def options(self, settings: Settings) -> dict[str, object]:
        """`--pages` and `--pptx-picture` as render options (a job reads its document with them too)."""
        return {"pages": self.pages, "pptx_picture": self.pptx_picture}


@dataclass(frozen=True)
class DocumentLimitFlags(FlagGroup):
    """The largest document `render` and `plan` read (settings only: a job is limited by its worker's)."""

    max_input_size: MaxInputSizeOption = None
    max_document_size: MaxDocumentSizeOption = None
    max_pages: MaxPagesOption = None

    def settings(self) -> dict[str, object]:
        return {
            "max_input_bytes": self.max_input_size,
            "max_document_bytes": self.max_document_size,
            "max_pages": self.max_pages,
        }
