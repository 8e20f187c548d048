"""Outbound HTTP: the one pooled client every provider uses (speech engines today; image providers,
LLMs and document fetching later), and the rules of where it may go.

    http = HttpClient(HttpConfig())
    await http.download("POST", url, dest, what="openai voice 'alloy'", json_body={...},
                        endpoint=Endpoint(base_url, {"Authorization": f"Bearer {key}"}))

- `Endpoint`: the service a request belongs to, as the operator configured it. Its origin (scheme,
  host, port) may be on loopback or a private network, and only it receives the secret headers.
- Every other origin a request reaches (a redirect, an audio URL an engine answers with, a document
  URL) must resolve to public addresses only: checked on the resolved address at connect time, on
  every hop, so DNS rebinding and redirects cannot reach an internal service.
- Errors are `app.errors.RemoteError`s that never include the remote response body.
"""

from app.core.net.client import HttpClient, HttpConfig, Pending, retry_after, safe_url
from app.core.net.policy import AddressFilter, Endpoint, Origin, address_kind, is_public_address

__all__ = [
    "AddressFilter",
    "Endpoint",
    "HttpClient",
    "HttpConfig",
    "Origin",
    "Pending",
    "address_kind",
    "is_public_address",
    "retry_after",
    "safe_url",
]
