"""The HTTP service over real HTTP: `t2v serve` in a subprocess (uvicorn on 127.0.0.1), httpx clients."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.core.jobstore.base import JobStatus, NewJob
from app.core.jobstore.sqlite import SQLiteJobStore
from app.services.video import probe
from tests.service import Server, free_port, read_events, served, service_env
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

VIETNAMESE = "# Xin chào Việt Nam\n\nĐây là một đoạn văn ngắn bằng tiếng Việt, có dấu đầy đủ.\n"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with served(
        tmp_path, "--workers", "1", T2V_API_KEYS="key-a-secret,key-b-secret,admin:root-secret"
    ) as server:
        yield server


@pytest.fixture
def api_only(tmp_path: Path) -> Iterator[Server]:
    """No workers, so submitted jobs stay waiting; small limits for the limit tests."""
    with served(
        tmp_path,
        "--workers",
        "0",
        T2V_API_KEYS="key-a-secret,key-b-secret,admin:root-secret",
        T2V_MAX_INPUT_BYTES="2000",
        T2V_MAX_WAITING_PER_KEY="3",
    ) as server:
        yield server


def job_record(server: Server, job_id: str):  # type: ignore[no-untyped-def]
    async def get():  # type: ignore[no-untyped-def]
        async with SQLiteJobStore(server.data_dir / "jobs.db") as store:
            return await store.get(job_id)

    return asyncio.run(get())


async def enqueue(server: Server, job: NewJob) -> None:
    async with SQLiteJobStore(server.data_dir / "jobs.db") as store:
        await store.enqueue(job)


def test_submit_follow_events_range_download_and_probe(server: Server, tmp_path: Path) -> None:
    a = server.client("key-a-secret")
    created = a.post(
        "/v1/jobs",
        json={"text": VIETNAMESE, "format": "md", "priority": "high", "options": {"aspect": "16:9"}},
    )
    assert created.status_code == 202, created.text
    job = created.json()
    assert job["status"] == "queued" and job["priority"] == "high"
    assert created.headers["location"] == f"/v1/jobs/{job['id']}"

    events = read_events(a, job["links"]["self"] + "/events")
    names = [name for name, _ in events]
    assert names[-1] == "end" and set(names[:-1]) <= {"job"}
    percents = [data["percent"] for _, data in events]
    assert percents == sorted(percents), "progress never goes backwards"
    done = events[-1][1]
    assert done["status"] == "completed", done
    assert done["percent"] == 100.0 and done["attempts"] == 1
    assert done["timings"]["started_at"] and done["timings"]["finished_at"]
    assert done["result"]["duration"] > 1 and done["result"]["voice"] == "espeak:vi"
    assert "/" not in json.dumps(done["result"]), "no server paths leak into the API"

    video_url = done["links"]["video"]
    full = a.get(video_url)
    assert full.status_code == 200 and full.headers["content-type"] == "video/mp4"
    assert full.headers["accept-ranges"] == "bytes"
    size = len(full.content)
    assert size == done["result"]["size_bytes"]

    # the signed link works without any key (what a <video> element does), and only with a valid token
    anonymous = server.client()
    part = anonymous.get(video_url, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-1099/{size}"
    assert part.headers["content-type"] == "video/mp4"
    assert part.content == full.content[100:1100]
    tail = anonymous.get(video_url, headers={"Range": f"bytes={size - 10}-"})
    assert tail.status_code == 206 and tail.content == full.content[-10:]
    forged = video_url.split("token=")[0] + "token=9999999999.AAAA"
    assert anonymous.get(forged).status_code == 401
    other_job = f"/v1/jobs/someone-else/video?token={video_url.split('token=')[1]}"
    assert anonymous.get(other_job).status_code == 401, "a token opens only its own job"

    out = tmp_path / "downloaded.mp4"
    out.write_bytes(full.content)
    info = probe(out)
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert (info.width, info.height) == (1280, 720)
    assert abs(info.duration - done["result"]["duration"]) < 0.2

    srt = a.get(done["links"]["captions_srt"])
    assert srt.status_code == 200 and srt.headers["content-type"].startswith("application/x-subrip")
    assert "Việt" in srt.content.decode("utf-8")
    vtt = a.get(done["links"]["captions_vtt"])
    assert vtt.headers["content-type"].startswith("text/vtt") and vtt.text.startswith("WEBVTT")
    thumb = a.get(done["links"]["thumbnail"])
    assert thumb.status_code == 200 and thumb.content[:3] == b"\xff\xd8\xff"
    download = a.get(video_url + "&download=1")
    assert download.headers["content-disposition"].startswith("attachment")

    # the same structure as the seed's get_optimization_status()
    status = a.get("/v1/status").json()
    assert 0.0 <= status["system_resources"]["cpu_percent"] <= 100.0
    assert 0.0 < status["system_resources"]["memory_percent"] < 100.0
    assert status["queue_status"]["queue_size"] == 0
    assert status["running"] is True and status["workers"] and status["slots"]["jobs"]["capacity"] >= 1
    assert {"health", "alerts", "limits", "cache", "uptime_seconds"} <= set(status)

    assert a.get("/healthz").json() == {"status": "ok"}
    assert a.get("/readyz").json() == {"status": "ready"}
    metrics = a.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert "t2v_render_duration_seconds_count 1.0" in text
    assert 't2v_jobs{status="completed"} 1.0' in text
    assert 't2v_queue_waiting_jobs{priority="high"} 0.0' in text
    assert 't2v_slots_in_use{slot="jobs"} 0.0' in text
    assert "t2v_cpu_percent" in text and "t2v_memory_percent" in text

    spec = a.get("/openapi.json").json()
    assert {"/v1/jobs", "/v1/jobs/{job_id}/video", "/v1/jobs/{job_id}/events", "/v1/status"} <= set(
        spec["paths"]
    )
    assert "multipart/form-data" in spec["paths"]["/v1/jobs"]["post"]["requestBody"]["content"]
    plan_body, jobs_body = (spec["paths"][p]["post"]["requestBody"] for p in ("/v1/plan", "/v1/jobs"))
    assert plan_body == jobs_body, "the same body: one definition"

    page = a.get("/")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert a.get("/static/app.js").status_code == 200
    assert a.get("/fonts/regular.ttf").status_code == 200


def test_keys_owners_and_limits(api_only: Server) -> None:
    a, b, root = (api_only.client(k) for k in ("key-a-secret", "key-b-secret", "root-secret"))
    nobody = api_only.client()

    assert nobody.get("/v1/jobs").status_code == 401
    assert nobody.post("/v1/jobs", json={"text": "hello"}).status_code == 401
    wrong = api_only.client("not-a-key").get("/v1/jobs")
    assert wrong.status_code == 401 and wrong.json() == {"detail": "invalid API key"}
    assert nobody.get("/v1/status").status_code == 401

    first = a.post("/v1/jobs", json={"text": "Hello from A.", "id": "a-job-1"})
    assert first.status_code == 202, first.text
    job_id = first.json()["id"]
    stored = job_record(api_only, job_id)
    assert stored.owner and stored.owner.startswith("env-") and "secret" not in stored.owner

    # B cannot see, follow, download, cancel or retry A's job: it does not exist for B
    for method, path in [
        ("GET", f"/v1/jobs/{job_id}"),
        ("GET", f"/v1/jobs/{job_id}/events"),
        ("GET", f"/v1/jobs/{job_id}/video"),
        ("DELETE", f"/v1/jobs/{job_id}"),
        ("POST", f"/v1/jobs/{job_id}/retry"),
    ]:
        response = b.request(method, path)
        assert response.status_code == 404, (method, path, response.text)
    assert b.get("/v1/jobs").json()["jobs"] == []
    assert [j["id"] for j in root.get("/v1/jobs").json()["jobs"]] == [job_id], "admin sees every job"
    assert job_record(api_only, job_id).status == JobStatus.QUEUED

    # the same id from B, even with the same text, never returns A's job
    taken = b.post("/v1/jobs", json={"text": "Hello from A.", "id": job_id})
    assert taken.status_code == 409 and "Hello" not in taken.text
    assert b.post("/v1/jobs", json={"text": "x", "id": "../etc"}).status_code == 422

    # sizes: the document limit is 2000 bytes
    big_upload = a.post("/v1/jobs", files={"file": ("big.txt", b"a" * 2500, "text/plain")})
    assert big_upload.status_code == 413, big_upload.text
    assert a.post("/v1/jobs", json={"text": "ệ" * 700}).status_code == 413  # 2100 bytes in UTF-8
    huge = a.post("/v1/jobs", content=b"x" * 200_000, headers={"content-type": "application/json"})
    assert huge.status_code == 413

    # validation: one clear message each
    for body, words in [
        ({"text": "Hi.", "options": {"aspect": "4:3"}}, "aspect"),
        ({"text": "Hi.", "options": {"colour": "red"}}, "unknown option"),
        ({"text": "Hi.", "options": {"preset": "vimeo"}}, "preset"),
        ({"text": "Hi.", "options": {"caption_style": "neon"}}, "caption_style"),
        ({"text": "Hi.", "options": {"keyframe_interval": 60}}, "keyframe_interval"),
        ({"text": "Hi.", "options": {"voice": "espeak:zz-nowhere"}}, "zz-nowhere"),
        ({"text": "Hi.", "options": {"lexicon": '[[en.regex]]\npattern = "(x"\nsay = "y"\n'}}, "lexicon"),
        ({"text": "Hi.", "priority": "whenever"}, "priority"),
        ({"text": "   \n"}, "whitespace"),
        ({"text": "Hi.", "extra": 1}, "unknown field"),
        ({}, "text"),
    ]:
        response = a.post("/v1/jobs", json=body)
        assert response.status_code == 422, (body, response.text)
        assert isinstance(response.json()["detail"], str) and words in response.json()["detail"], (
            response.text
        )
    binary = a.post("/v1/jobs", files={"file": ("x.txt", b"\x00\x01\x02PNG\x00" * 10, "text/plain")})
    assert binary.status_code == 422
    latin1 = a.post("/v1/jobs", files={"file": ("x.txt", "café crème naïve".encode("latin-1"), "text/plain")})
    assert latin1.status_code == 422 and "UTF-8" in latin1.json()["detail"]
    bad_options = a.post("/v1/jobs", files={"file": ("x.md", b"# Hi")}, data={"options": "{not json"})
    assert bad_options.status_code == 422

    # an uploaded name is a display name only
    upload = a.post(
        "/v1/jobs",
        files={"file": ("../../outside/évil.md", "# Tiêu đề\n\nNội dung.".encode(), "text/plain")},
        data={"priority": "low", "options": json.dumps({"rate": 200})},
    )
    assert upload.status_code == 202, upload.text
    assert upload.json()["name"] == "évil.md" and upload.json()["options"] == {"rate": 200}
    assert not (api_only.data_dir.parent / "outside").exists()

    # the waiting-job limit is per key (3 here): A has 2 waiting, one more fits, then 429
    assert a.post("/v1/jobs", json={"text": "third"}).status_code == 202
    over = a.post("/v1/jobs", json={"text": "fourth"})
    assert over.status_code == 429 and "waiting" in over.json()["detail"]
    assert b.post("/v1/jobs", json={"text": "B is not limited by A"}).status_code == 202

    # listing: filters and pages
    page = a.get("/v1/jobs", params={"limit": 2}).json()
    assert len(page["jobs"]) == 2 and page["next_offset"] == 2
    rest = a.get("/v1/jobs", params={"limit": 2, "offset": 2}).json()
    assert len(rest["jobs"]) == 1 and rest["next_offset"] is None
    assert a.get("/v1/jobs", params={"status": "bogus"}).status_code == 422

    # A cancels its own job, then retries it
    cancelled = a.delete(f"/v1/jobs/{job_id}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    retried = a.post(f"/v1/jobs/{job_id}/retry")
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    assert a.get(f"/v1/jobs/{job_id}/video").status_code == 404  # not rendered yet

    # a key made with `t2v keys create` works at once, without a restart
    made = subprocess.run(
        [sys.executable, "-m", "app.cli", "keys", "create", "--name", "ci"],
        env=service_env(api_only.data_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    new_key = made.stdout.strip()
    assert new_key.startswith("t2v_") and new_key not in (api_only.data_dir / "api_keys.json").read_text()
    assert api_only.client(new_key).get("/v1/jobs").json()["jobs"] == []


def test_non_loopback_bind_without_keys_refuses_to_start(tmp_path: Path) -> None:
    port = free_port()
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--host", "0.0.0.0", "--port", str(port)],
        env=service_env(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert time.monotonic() - started < 30
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "without API keys" in lines[0], result.stderr
    with socket.socket() as s:
        s.bind(("0.0.0.0", port))  # nothing bound it


def test_open_loopback_server_says_so(tmp_path: Path) -> None:
    with served(tmp_path, "--workers", "0") as server:
        assert "WITHOUT API keys" in server.output()
        assert server.client().post("/v1/jobs", json={"text": "Hello."}).status_code == 202


def test_sigterm_releases_a_job_that_outlasts_the_grace_period(tmp_path: Path) -> None:
    with served(tmp_path, "--workers", "1", T2V_GRACE_SECONDS="1", T2V_API_KEYS="k-secret") as server:
        payload = {"options": {"log": str(tmp_path / "events.jsonl"), "seconds": 60}}
        asyncio.run(enqueue(server, NewJob(id="long", kind="record", payload=payload)))
        wait_until(lambda: job_record(server, "long").status == JobStatus.PROCESSING, interval=0.1)
        assert server.stop(signal.SIGTERM, timeout=30) == 0, server.output()
        job = job_record(server, "long")
        assert job.status == JobStatus.QUEUED and job.attempts == 0, job
        assert server.leftover_temp_files() == []


def test_sigterm_lets_a_running_render_finish_and_exits_0(tmp_path: Path) -> None:
    paragraphs = "\n\n".join(
        f"Paragraph {i}: the quick brown fox jumps over the lazy dog." for i in range(12)
    )
    with served(tmp_path, "--workers", "1", T2V_GRACE_SECONDS="60", T2V_API_KEYS="k-secret") as server:
        client = server.client("k-secret")
        job_id = client.post("/v1/jobs", json={"text": paragraphs}).json()["id"]
        wait_until(lambda: client.get(f"/v1/jobs/{job_id}").json()["status"] != "queued", timeout=60)
        assert server.stop(signal.SIGTERM, timeout=90) == 0, server.output()
        job = job_record(server, job_id)
        assert job.status == JobStatus.COMPLETED or (job.status == JobStatus.QUEUED and job.attempts == 0), (
            job
        )
        assert server.leftover_temp_files() == []
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{server.url}/healthz", timeout=2)
