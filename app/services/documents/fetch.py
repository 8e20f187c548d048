"""Documents by URL: fetched through the one pooled client, then read like any other document.

Only when the operator turned it on (`--allow-fetch`, `T2V_ALLOW_FETCH`). The client refuses loopback,
private and link-local addresses after DNS resolution and on every redirect (unless the operator
also allowed private addresses), and bounds the answer's size and the whole request's time. A web
page becomes a Markdown document of its article at once (`page_markdown`), so what a job carries
is the article; any other document (a PDF, a DOCX...) is read from its bytes as if uploaded.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from app.config import Settings
from app.core.net import FetchLimits, HttpClient, HttpConfig, is_public_address, safe_url
from app.core.threads import run_in_thread
from app.errors import InputError, RemoteError
from app.services.documents.formats import format_from_name, sniff
from app.services.documents.limits import DocumentLimits, ReadOptions
from app.services.documents.loading import document_from_bytes
from app.services.documents.model import Document

_MARKUP = re.compile(rb"<[A-Za-z!/]")
URL_PREFIX = re.compile(r"^https?://", re.I)


def fetch_limits(settings: Settings) -> FetchLimits:
    return FetchLimits(max_bytes=settings.fetch_max_bytes, deadline=settings.fetch_deadline)


def fetch_client(settings: Settings) -> HttpClient:
    """A client for documents: public addresses only, unless the operator allowed private ones."""
    if settings.allow_private_urls:
        return HttpClient(HttpConfig(), allow=lambda _address: True)
    return HttpClient(HttpConfig(), allow=is_public_address)


def is_url(source: str) -> bool:
    return bool(URL_PREFIX.match(source))


def url_name(url: str) -> str:
    """A document's name from its URL: the last path segment, else the host."""
    parts = urlsplit(url)
    last = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    return (last or parts.hostname or "page")[:120]


def check_url(url: str) -> str:
    """An http(s) URL with a host, or one line saying what is wrong with it."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host:
        raise InputError(f"{url[:200]!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise InputError("a document URL may not carry a user name or password")
    return url


async def fetch_document(
    url: str,
    http: HttpClient,
    limits: FetchLimits,
    documents: DocumentLimits | None = None,
    reading: ReadOptions | None = None,
) -> Document:
    """The document at `url`, fetched and validated (an `InputError` naming what went wrong: a refused
    address, an error status, too large, too slow; its `public` form names no address)."""
    check_url(url)
    name = url_name(url)
    with tempfile.TemporaryDirectory(prefix="t2v-fetch-") as tmp:
        dest = Path(tmp) / "document"
        try:
            await http.download(
                "GET", url, dest, what=f"document {safe_url(url)}", limits=limits, headers={"Accept": "*/*"}
            )
        except RemoteError as exc:  # the URL is the user's: whatever went wrong is theirs to fix
            raise InputError(str(exc), public=exc.public) from None
        data = await run_in_thread(dest.read_bytes)
    return await run_in_thread(_document, data, url, name, documents, reading)


def _document(
    data: bytes, url: str, name: str, documents: DocumentLimits | None, reading: ReadOptions | None
) -> Document:
    found = sniff(data)
    claims = format_from_name(name)
    markup = found.format == "html" or (claims is None and bool(_MARKUP.search(data[:4096])))
    if found.format in (None, "html") and markup:
        from app.services.documents.html_reader import page_markdown  # trafilatura: when fetching only

        markdown = page_markdown(data, url)
        if markdown is not None:
            return document_from_bytes(markdown.encode("utf-8"), None, "md", limits=documents, label=name)
        return document_from_bytes(data, None, "html", limits=documents, label=name, reading=reading)
    return document_from_bytes(
        data, name if claims else None, None, limits=documents, label=name, reading=reading
    )
