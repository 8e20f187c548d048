"""One exception hierarchy for the whole product.

Callers catch `T2VError` to tell an expected failure (bad input, a missing voice, a failed encode) from a
bug. `InputError` is the user's fault: the CLI exits 2 with its message, the API answers 4xx.
"""

from __future__ import annotations


class T2VError(Exception):
    """Base of every error t2v raises on purpose."""


class InputError(T2VError):
    """The input cannot be rendered: missing, empty, binary, too large, unsupported."""


class RenderError(T2VError):
    """A stage of the render failed for a reason that is not the input's fault."""


class RenderCancelled(T2VError):
    """The render was cancelled (Ctrl-C, SIGTERM, a cancelled job)."""


class TTSError(RenderError):
    """Speech synthesis failed."""


class VoiceNotFound(TTSError, InputError):
    """The requested voice or language is not available."""


class TTSUnavailable(TTSError):
    """The engine could not be reached or kept failing: the next engine of a voice chain may speak."""


class TTSTransportError(TTSUnavailable):
    """The connection failed: refused, reset, or dropped part-way through the audio."""


class TTSTimeout(TTSTransportError):
    """The server did not answer (or the audio was not ready) in time."""


class TTSHTTPError(TTSError):
    """A TTS server answered with an error status; a 4xx other than 429 is never retried."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class TTSServerError(TTSHTTPError, TTSUnavailable):
    """429 or 5xx, still failing after the retries."""


class MediaError(RenderError):
    """ffmpeg failed or produced something unusable."""
