"""Outbound HTTP: the one pooled client every provider uses (speech engines today; image providers,
LLMs and document fetching later), and the rules of where it may go.

    http = HttpClient(HttpConfig())
    await http.download("POST", url, dest, what="openai voice 'alloy'", json_body={...},
                        limits=FetchLimits(max_bytes=100 << 20, deadline=120),
                        endpoint=Endpoint(base_url, {"Authorization": f"Bearer {key}"}))

- `Endpoint`: the service a request belongs to, as the operator configured it. Its origin (scheme,
  host, port) may be on loopback or a private network, and only it receives the secret headers.
- Every other origin a request reaches (a redirect, an audio URL an engine answers with, a document
  URL) must resolve to public addresses only: checked on the resolved address at connect time, on
  every hop, so DNS rebinding and redirects cannot reach an internal service.
- `FetchLimits`: every request says how large its answer and how long the whole request (retries
  included) may be; past either it fails (`RemoteTooLarge`, `RemoteDeadline`) and the connection
  is closed.
- Errors are `app.errors.RemoteError`s that never include the remote response body; their `public`
  message (what API callers see) leaves out the URL too.
"""

from app.core.net.client import FetchLimits, HttpClient, HttpConfig, Pending, retry_after, safe_url
from app.core.net.policy import AddressFilter, Endpoint, Origin, address_kind, is_public_address

__all__ = [
    "AddressFilter",
    "Endpoint",
    "FetchLimits",
    "HttpClient",
    "HttpConfig",
    "Origin",
    "Pending",
    "address_kind",
    "is_public_address",
    "retry_after",
    "safe_url",
]
