"""Images in documents sent to `t2v serve`: no server file is ever shown, remote images only when the
operator allows them (and then public addresses only), checked at submission (422) and again by the
worker. Real server in a subprocess; the "remote" image server is on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.images_support import png, png_bytes
from tests.service import read_events, served
from tests.tts_server import FakeServer, Reply

pytestmark = pytest.mark.slow

KEY = "key-images-secret"


def text_with(image: str) -> str:
    return f"# Results\n\nThe chart shows the quarter.\n\n![The chart]({image})\n"


def test_submissions_with_images_the_server_will_not_use_are_refused(tmp_path: Path) -> None:
    secret = png(tmp_path / "secret.png")
    with served(tmp_path, "--workers", "0", T2V_API_KEYS=KEY) as server:
        client = server.client(KEY)

        def submit(image: str, **options: object):  # type: ignore[no-untyped-def]
            return client.post(
                "/v1/jobs", json={"text": text_with(image), "format": "md", "options": options}
            )

        for path in (str(secret), "secret.png", "../secret.png"):
            answer = submit(path)
            assert answer.status_code == 422, answer.text
            assert "documents sent to the service have no folder" in answer.json()["detail"]
        remote = submit("https://example.com/chart.png")
        assert remote.status_code == 422
        assert remote.json()["detail"] == (
            "image 'https://example.com/chart.png': this server does not fetch remote images"
        )
        for options in ({"assets_root": str(tmp_path)}, {"allow_remote_images": True}):
            answer = submit(str(secret), **options)
            assert answer.status_code == 422 and "the operator's" in answer.json()["detail"], answer.text
        upload = client.post(
            "/v1/jobs", files={"file": ("talk.md", text_with("secret.png").encode(), "text/markdown")}
        )
        assert upload.status_code == 422, upload.text
        # a placeholder is the caller's choice to make, and reads nothing
        assert submit(str(secret), skip_missing_images=True).status_code == 202


def test_allowed_remote_images_still_never_reach_internal_addresses(tmp_path: Path) -> None:
    """With T2V_ALLOW_REMOTE_IMAGES the submission is accepted; the worker's guarded client refuses
    127.0.0.1, the job fails at once (an input error, no retry) and the image server sees nothing."""
    with FakeServer() as internal:
        internal.on("GET", "/chart.png", default=Reply(body=png_bytes(), content_type="image/png"))
        with served(tmp_path, "--workers", "1", T2V_API_KEYS=KEY, T2V_ALLOW_REMOTE_IMAGES="1") as server:
            client = server.client(KEY)
            created = client.post(
                "/v1/jobs", json={"text": text_with(f"{internal.url}/chart.png"), "format": "md"}
            )
            assert created.status_code == 202, created.text
            events = read_events(client, created.json()["links"]["self"] + "/events")
            job = events[-1][1]
            assert job["status"] == "failed" and job["attempts"] == 1, job
            error = job["errors"][-1]["error"]
            assert "chart.png" in error and "loopback" in error, error
            assert str(internal.port) not in error.split("chart.png", 1)[1], (
                "no address beyond the caller's URL"
            )
        assert internal.requests == []
