"""One exception hierarchy for the whole product.

Callers catch `T2VError` to tell an expected failure (bad input, a missing voice, a failed encode) from a
bug. `InputError` is the user's fault: the CLI exits 2 with its message, the API answers 4xx.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def first_error(
    errors: Sequence[Mapping[str, Any]],
    *,
    subject: str = "input",
    noun: str = "field",
    allowed: Iterable[str] = (),
) -> str:
    """The first error of a (pydantic) validation as one line, the way every entry point reports it:
    `invalid FIELD: MESSAGE`, or `unknown NOUN 'x' (allowed: ...)` for a key that is not allowed.
    `subject` names the whole input when the error has no location."""
    first = errors[0] if errors else {}
    field = ".".join(str(part) for part in first.get("loc", ())) or subject
    allowed = list(allowed)
    if first.get("type") == "extra_forbidden" and allowed:
        return f"unknown {noun} {field!r} (allowed: {', '.join(allowed)})"
    message = str(first.get("msg") or "invalid value").removeprefix("Value error, ")
    return f"invalid {field}: {message}"


class T2VError(Exception):
    """Base of every error t2v raises on purpose.

    `public`, when set, is the message for an API caller where it must say less than the operator's:
    a remote error names the server's URL and address for the operator, the caller learns the engine
    and what went wrong (the operator's internal addresses are not theirs to learn).
    """

    public: str | None = None

    def __init__(self, *args: object, public: str | None = None) -> None:
        super().__init__(*args)
        if public is not None:
            self.public = public

    def conceal(self) -> None:
        """Keep only the public message, before this error reaches an API caller's job record."""
        if self.public is not None:
            self.args = (self.public,)
            self.public = None


class InputError(T2VError):
    """The input cannot be rendered: missing, empty, binary, too large, unsupported."""


class ImageError(InputError):
    """An image the document shows cannot be used: missing, broken, too large, of an unsupported type,
    outside the folders it may come from, or remote when remote images are off. Names the image."""


class RenderError(T2VError):
    """A stage of the render failed for a reason that is not the input's fault."""


class RenderCancelled(T2VError):
    """The render was cancelled (Ctrl-C, SIGTERM, a cancelled job)."""


class TTSError(RenderError):
    """Speech synthesis failed."""


class VoiceNotFound(TTSError, InputError):
    """The requested voice or language is not available."""


class RemoteError(RenderError):
    """An outbound HTTP request (a speech engine today; later image providers, LLMs, documents) failed.

    Messages name the engine, the status and the URL without credentials or query string; they never
    hold the remote server's response body. The `public` message leaves the URL and address out.
    """


class RemoteUnavailable(RemoteError):
    """The service could not be reached or kept failing: the next engine of a voice chain may speak."""


class RemoteTransportError(RemoteUnavailable):
    """The connection failed: refused, reset, or dropped part-way through the answer."""


class RemoteTimeout(RemoteTransportError):
    """The server did not answer (or the audio was not ready) in time."""


class RemoteDeadline(RemoteTimeout):
    """The request as a whole (retries, redirects and the body included) took longer than its
    deadline: a server trickling its answer cannot hold a render for hours."""


class RemoteTooLarge(RemoteError):
    """The answer is larger than the request's limit (refused from its Content-Length before reading,
    or stopped as soon as the streamed body passes the limit). Not retried."""


class RemoteWrongType(RemoteError):
    """The answer's Content-Type is not one the request accepts (an HTML page where an image was
    expected): refused before its body is read, never retried."""


class RemoteHTTPError(RemoteError):
    """The server answered with an error status; a 4xx other than 429 is never retried."""

    def __init__(self, message: str, status: int, *, public: str | None = None) -> None:
        super().__init__(message, public=public)
        self.status = status


class RemoteServerError(RemoteHTTPError, RemoteUnavailable):
    """429 or 5xx, still failing after the retries."""


class OutboundRefused(RemoteError):
    """The target is not allowed: a loopback, private, link-local, multicast or reserved address that
    the operator did not configure (checked on the resolved address, on every redirect)."""


class MediaError(RenderError):
    """ffmpeg failed or produced something unusable."""
