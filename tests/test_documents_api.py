"""Packed documents through `t2v serve`: multipart uploads of DOCX, PPTX and PDF are sniffed and
queued (a worker renders one from the job's bytes), a lying upload is refused with 422, and a JSON
`url` is fetched only when the operator allows it, never from an internal address. Real server in a
subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pdf_support import report_pdf
from tests.service import read_events, served
from tests.test_readers_docx import report
from tests.test_readers_html import PAGE
from tests.test_readers_pptx import deck
from tests.tts_server import FakeServer, Reply

pytestmark = pytest.mark.slow

KEY = "key-documents-secret"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_uploads_of_every_format(tmp_path: Path) -> None:
    with served(tmp_path, "--workers", "1", T2V_API_KEYS=KEY) as server:
        client = server.client(KEY)
        created = client.post(
            "/v1/jobs",
            files={"file": ("báo cáo.docx", report(), DOCX)},
            data={"options": '{"voice": "espeak:vi"}'},
        )
        assert created.status_code == 202, created.text
        events = read_events(client, created.json()["links"]["self"] + "/events")
        job = events[-1][1]
        assert job["status"] == "completed", job
        assert client.get(created.json()["links"]["self"] + "/video").status_code == 200

        lying = client.post("/v1/jobs", files={"file": ("report.pdf", report(), "application/pdf")})
        assert lying.status_code == 422
        assert lying.json()["detail"] == "report.pdf: the name says .pdf, but the content is DOCX (Word)"
        bad_pages = client.post(
            "/v1/jobs",
            files={"file": ("deck.pptx", deck(), "application/octet-stream")},
            data={"options": '{"pages": "9-3"}'},
        )
        assert bad_pages.status_code == 422 and "invalid page range" in bad_pages.json()["detail"]
        off = client.post("/v1/jobs", json={"url": "https://example.com/a.html"})
        assert off.status_code == 422
        assert off.json()["detail"] == "this server does not fetch documents by URL (T2V_ALLOW_FETCH is off)"


def test_queued_packed_documents_and_urls(tmp_path: Path) -> None:
    with FakeServer() as site:
        site.on("GET", "/tin", default=Reply(body=PAGE.encode(), content_type="text/html"))
        with served(tmp_path, "--workers", "0", T2V_API_KEYS=KEY, T2V_ALLOW_FETCH="1") as server:
            client = server.client(KEY)
            for name, data in (("deck.pptx", deck()), ("report.pdf", report_pdf(1, 1, False))):
                answer = client.post("/v1/jobs", files={"file": (name, data, "application/octet-stream")})
                assert answer.status_code == 202, (name, answer.text)
            internal = client.post("/v1/jobs", json={"url": f"{site.url}/tin"})
            assert internal.status_code == 422
            detail = internal.json()["detail"]
            assert "loopback" in detail and str(site.port) not in detail.split("/tin", 1)[1]
        assert site.count("GET", "/tin") == 0
