"""The optional LLM, against a stand-in chat-completions server on 127.0.0.1 (real HTTP, real httpx):
valid, invalid, truncated, slow and wrong-language answers; chunked documents; topics; the key sent to
the LLM's base URL only and never shown; overridable prompts; the CLI end to end."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import load_settings
from app.core.net import HttpClient, HttpConfig
from app.core.queue_manager import Trust
from app.errors import InputError, RemoteError, RemoteTimeout
from app.services.documents import document_from_bytes
from app.services.llm import LLMConfig, LLMError, ScriptWriter, Topic, chunks, draft_plan, parse_llm_spec
from app.services.options import parse_render_options
from app.services.video import probe
from tests.conftest import CLI
from tests.tts_server import FakeServer, Reply

KEY = "sk-test-very-secret-key"
PATH = "/v1/chat/completions"
VI_DOC = (
    "# Cà phê Việt Nam\n\nViệt Nam là nước xuất khẩu cà phê lớn thứ hai thế giới. Cà phê được trồng nhiều ở "
    "Tây Nguyên.\n\n# Cách pha\n\nNgười Việt thường pha cà phê bằng phin, rồi thêm sữa đặc.\n"
).encode()


def script(language: str = "vi", scenes: int = 2, **extra: object) -> dict[str, object]:
    said = {
        "vi": "Việt Nam là nước xuất khẩu cà phê lớn thứ hai thế giới. "
        "Người Việt thường pha cà phê bằng phin.",
        "en": "Vietnam is the second largest coffee exporter in the world. "
        "People brew it with a small filter.",
    }[language]
    return {
        "title": "Cà phê" if language == "vi" else "Coffee",
        "language": language,
        "scenes": [
            {
                "title": f"Phần {i + 1}",
                "narration": said,
                "bullets": ["Xuất khẩu lớn", "Pha bằng phin"],
                "keywords": ["cà phê"],
            }
            for i in range(scenes)
        ],
        **extra,
    }


def chat(content: object, finish: str = "stop") -> Reply:
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    return Reply.json(
        {
            "object": "chat.completion",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
            ],
        }
    )


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as s:
        yield s


def writer(server: FakeServer, **config: object) -> ScriptWriter:
    http = HttpClient(HttpConfig(retries=1, backoff_seconds=0.01, read_timeout=5))
    settings = {"api_key": KEY, "base_url": server.url + "/v1", "attempts": 3, "deadline": 20.0, **config}
    return ScriptWriter(http, LLMConfig(**settings))  # type: ignore[arg-type]


SPEC = parse_llm_spec("openai:test-model")


async def test_a_valid_answer_becomes_a_storyboard_in_the_documents_language(server: FakeServer) -> None:
    server.on("POST", PATH, chat(script("vi")))
    w = writer(server)
    draft = await w.draft(document_from_bytes(VI_DOC, "cafe.md", None), SPEC, seconds=60)
    await w.http.aclose()
    (request,) = server.requests
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = request.json()
    assert body["model"] == "test-model"
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["title", "language", "scenes"]
    assert "Vietnamese" in body["messages"][0]["content"] and "Tây Nguyên" in body["messages"][1]["content"]
    assert "about 175 words" in body["messages"][1]["content"]
    plan = draft_plan(draft)
    assert plan.language == "vi" and [s.layout for s in plan.scenes] == ["title", "bullets", "bullets"]
    assert plan.scenes[1].items[0].text == "Xuất khẩu lớn"
    assert [b.item for b in plan.scenes[1].beats] == [0, 1], "each bullet is lit while its sentence is said"


async def test_invalid_answers_are_asked_again_with_their_problems(server: FakeServer) -> None:
    broken = script("vi")
    del broken["scenes"][0]["narration"]  # type: ignore[index]
    server.on("POST", PATH, chat("Sure! Here is your script:"), chat(broken), chat(script("vi")))
    w = writer(server)
    draft = await w.draft(Topic("Cà phê Việt Nam"), SPEC)
    await w.http.aclose()
    assert len(draft.scenes) == 2 and w.requests == 3
    second, third = server.requests[1].json()["messages"], server.requests[2].json()["messages"]
    assert second[-2] == {"role": "assistant", "content": "Sure! Here is your script:"}
    assert "not one JSON object" in second[-1]["content"]
    assert "scenes[0].narration: required" in third[-1]["content"]


async def test_answers_that_never_validate_fail_with_one_clear_message_and_no_key(
    server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.on("POST", PATH, default=chat({"title": "x"}))
    w = writer(server)
    with pytest.raises(LLMError) as caught:
        await w.draft(Topic("Cà phê Việt Nam"), SPEC)
    await w.http.aclose()
    message = str(caught.value)
    assert message.startswith("the LLM's answers could not be used after 3 tries: language: required")
    assert len(message.splitlines()) == 1 and server.count("POST", PATH) == 3
    assert KEY not in message and KEY not in caplog.text and KEY not in repr(w.config)


async def test_a_truncated_answer_is_asked_again(server: FakeServer) -> None:
    cut = json.dumps(script("vi"), ensure_ascii=False)[:80]
    server.on(
        "POST", PATH, chat(cut, finish="length"), chat("```json\n" + json.dumps(script("vi")) + "\n```")
    )
    w = writer(server)
    draft = await w.draft(Topic("Cà phê Việt Nam"), SPEC)
    await w.http.aclose()
    assert len(draft.scenes) == 2
    assert "cut off at the token limit" in server.requests[1].json()["messages"][-1]["content"]


async def test_a_slow_server_ends_at_the_deadline(server: FakeServer) -> None:
    server.on("POST", PATH, default=Reply(200, b"{}", content_type="application/json", delay=30))
    w = writer(server, deadline=1.0)
    with pytest.raises(RemoteTimeout):
        await w.draft(Topic("Cà phê"), SPEC)
    await w.http.aclose()


async def test_another_language_is_refused(server: FakeServer) -> None:
    server.on("POST", PATH, default=chat(script("en")))
    w = writer(server, attempts=2)
    with pytest.raises(LLMError, match="language: the script must be in 'vi', not 'en'"):
        await w.draft(document_from_bytes(VI_DOC, "cafe.md", None), SPEC)
    assert "write it in 'vi'" in server.requests[1].json()["messages"][-1]["content"]
    # a topic in Vietnamese asked for in English (--language en) is written in English
    server.defaults.clear()
    server.on("POST", PATH, chat(script("en")))
    draft = await w.draft(Topic("Lịch sử cà phê", language="en"), SPEC)
    await w.http.aclose()
    assert draft.language == "en" and "English" in server.requests[-1].json()["messages"][0]["content"]


async def test_long_documents_are_chunked_and_joined_in_order(server: FakeServer, tmp_path: Path) -> None:
    paragraphs = "\n\n".join(
        f"Đoạn {i}: cà phê được trồng ở Tây Nguyên và xuất khẩu đi khắp nơi." for i in range(40)
    )
    doc = document_from_bytes(paragraphs.encode(), "long.md", None)
    assert (
        all(len(c) <= 600 for c in chunks(paragraphs, 600))
        and "".join(chunks(paragraphs, 600)).count("Đoạn") == 40
    )

    def answer(request):  # type: ignore[no-untyped-def]
        text = request.json()["messages"][1]["content"]
        first = text.split("Đoạn ")[1].split(":")[0]
        return chat(script("vi", scenes=1) | {"title": first})

    server.on("POST", PATH, default=answer)
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "system.txt").write_text("HOUSE STYLE in $language_name. Answer JSON.", encoding="utf-8")
    w = writer(server, chunk_chars=600, prompts_dir=prompts)
    draft = await w.draft(doc, SPEC, seconds=120)
    await w.http.aclose()
    n = server.count("POST", PATH)
    assert n == len(chunks(paragraphs, 600)) > 3 and len(draft.scenes) == n
    assert all(
        r.json()["messages"][0]["content"] == "HOUSE STYLE in Vietnamese. Answer JSON."
        for r in server.requests
    )
    assert "(part 2 of" in server.requests[1].json()["messages"][1]["content"] or n == 1
    assert w.slots.peak <= w.config.concurrency


def test_specs_and_missing_configuration() -> None:
    assert parse_llm_spec("openai:llama3@http://127.0.0.1:11434/v1").base_url == "http://127.0.0.1:11434/v1"
    for bad in ("gpt-4", "anthropic:x", "openai:", "openai:m@ftp://x", "openai:m@http://u:p@h/v1"):
        with pytest.raises(InputError):
            parse_llm_spec(bad)
    with pytest.raises(InputError, match="no LLM is configured"):
        LLMConfig().spec(None)
    with pytest.raises(InputError, match="option 'llm' is the operator's"):  # an API caller's options
        parse_render_options(
            {"llm": "openai:m@http://127.0.0.1:9/v1"}, trust=Trust.CALLER, settings=load_settings()
        )
    assert (
        parse_render_options({"llm": "openai:m"}, trust=Trust.OPERATOR, settings=load_settings()).llm
        == "openai:m"
    )


@pytest.mark.slow
def test_cli_topic_renders_and_without_llm_exits_2(cli: CLI, server: FakeServer) -> None:
    server.on("POST", PATH, default=chat(script("vi")))
    env = dict(cli.env, T2V_LLM_API_KEY=KEY)
    cli.env = env
    done = cli.run(
        "render", "--topic", "Cà phê Việt Nam", "--llm", f"openai:m@{server.url}/v1", "-o", "t.mp4"
    )
    err = done.stderr.decode()
    assert done.returncode == 0, err
    assert KEY not in err and KEY not in done.stdout.decode()
    assert probe(cli.cwd / "t.mp4").duration > 3
    assert "Tây" not in (cli.cwd / "t.srt").read_text(encoding="utf-8")
    assert "thứ hai thế giới" in (cli.cwd / "t.srt").read_text(encoding="utf-8")
    no_llm = cli.run("render", "--topic", "Cà phê", "-o", "x.mp4")
    assert no_llm.returncode == 2 and no_llm.stderr.decode().strip() == (
        "t2v: error: no LLM is configured: give --llm openai:MODEL[@BASE_URL] (or set T2V_LLM)"
    )


async def test_a_redirect_elsewhere_never_gets_the_key(server: FakeServer) -> None:
    with FakeServer() as elsewhere:
        elsewhere.on("POST", PATH, default=chat(script("vi")))
        server.on("POST", PATH, default=Reply(307, b"", headers={"Location": elsewhere.url + PATH}))
        w = writer(server)
        with pytest.raises(RemoteError):
            await w.draft(Topic("Cà phê Việt Nam"), SPEC)
        await w.http.aclose()
        assert all(KEY not in json.dumps(r.headers) for r in elsewhere.requests)


@pytest.mark.slow
async def test_render_with_llm_and_duration_speaks_the_models_script(
    server: FakeServer, tmp_path: Path
) -> None:
    from app.core.memory_optimizer import WorkspaceManager
    from app.services.models import RenderOptions
    from app.services.pipeline import Renderer

    server.on("POST", PATH, default=chat(script("vi", scenes=3)))
    r = Renderer(WorkspaceManager(tmp_path / "tmp"), settings=load_settings())
    r.llm = writer(server)
    options = RenderOptions(voice="espeak:vi", llm="openai:test-model", duration=30)
    result = await r.render(document_from_bytes(VI_DOC, "cafe.md", None), tmp_path / "v.mp4", options)
    await r.llm.http.aclose()
    assert "about 88 words" in server.requests[0].json()["messages"][1]["content"]
    srt = (tmp_path / "v.srt").read_text(encoding="utf-8")
    assert "pha cà phê bằng phin" in srt and "Tây Nguyên" not in srt  # the model's words, not the document's
    # the stand-in's script is shorter than asked: rendered whole, and said so
    assert result.scenes == 4 and probe(tmp_path / "v.mp4").duration < 27
    assert any("shorter than the 0:30 asked for" in w for w in result.warnings)
