"""The studio's API over real HTTP (`t2v serve` in a subprocess, real renders with espeak-ng): plan
preview, a job's storyboard read, edited, refused when bad or stale, and re-rendered as a child job."""

from __future__ import annotations

import base64
import copy
import io
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg_support import pg_url  # noqa: F401 (a fixture)
from tests.service import Server, read_events, served

pytestmark = pytest.mark.slow

DOC = (
    "# Hello studio\n\nThe first scene says a few words.\n\n"
    "## Second part\n\nThe second scene says something else entirely.\n"
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with served(tmp_path, "--workers", "1", T2V_API_KEYS="key-a-secret,key-b-secret") as server:
        yield server


def finished(client, job: dict) -> dict:  # type: ignore[no-untyped-def,type-arg]
    events = read_events(client, job["links"]["self"] + "/events")
    final = events[-1][1]
    assert final["status"] == "completed", final
    return final  # type: ignore[no-any-return]


def test_plan_preview_storyboard_edit_and_rerender(server: Server) -> None:
    a, b = server.client("key-a-secret"), server.client("key-b-secret")
    preview = a.post("/v1/plan", json={"text": DOC, "format": "md", "options": {"aspect": "16:9"}})
    assert preview.status_code == 200, preview.text
    scenes = preview.json()["scenes"]
    assert any("first scene" in s["narration"] for s in scenes)
    assert all({"layout", "narration", "items"} <= set(s) for s in scenes)
    bad = a.post("/v1/plan", json={"text": DOC, "options": {"caption_style": "neon"}})
    assert bad.status_code == 422 and "caption_style" in bad.text

    job = a.post("/v1/jobs", json={"text": DOC, "format": "md", "options": {"aspect": "16:9"}}).json()
    first = finished(a, job)
    url = f"/v1/jobs/{job['id']}/storyboard"
    assert b.get(url).status_code == 404  # another key's job
    got = a.get(url)
    assert got.status_code == 200, got.text
    board = got.json()
    assert got.headers["etag"] == f'"{board["revision"]}"' and board["job"] == job["id"]
    assert [s["narration"] for s in board["scenes"]] == [s["narration"] for s in scenes]
    i = next(i for i, s in enumerate(board["scenes"]) if "first scene" in s["narration"])
    assert len(board["thumbnails"]) == len(board["scenes"])
    thumb = server.client().get(board["thumbnails"][i])  # a signed link: no key needed (<img src>)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg", thumb.status_code
    assert (
        thumb.content[:2] == b"\xff\xd8"
        and server.client().get(board["thumbnails"][i].split("?")[0]).status_code == 401
    )

    empty = copy.deepcopy(board)
    empty["scenes"][i].update(narration="", title=None)
    refused = a.put(url, json=empty)
    assert refused.status_code == 422, refused.status_code
    assert f"scenes[{i}].narration" in " ".join(refused.json()["problems"])
    wrong = copy.deepcopy(board)
    wrong["scenes"][i]["layout"] = "slideshow"
    refused = a.put(url, json=wrong)
    assert refused.status_code == 422 and f"scenes[{i}].layout" in refused.text
    assert b.put(url, json=board).status_code == 404

    edited = copy.deepcopy(board)
    edited["scenes"][i]["narration"] = "Purple elephants dance on the moon."
    put = a.put(url, json=edited)
    assert put.status_code == 202, put.text
    child = put.json()
    assert child["parent"] == job["id"] and child["id"] != job["id"]
    assert put.headers["location"] == f"/v1/jobs/{child['id']}"
    stale = a.put(url, json=edited)  # the revision it carries is no longer the job's
    assert stale.status_code == 409, stale.text
    bare = {k: v for k, v in edited.items() if k != "revision"}
    missing = a.put(url, json=bare)
    assert missing.status_code == 422 and "revision: required" in missing.text
    by_header = a.put(url, json=bare, headers={"If-Match": f'"{board["revision"]}"'})
    assert by_header.status_code == 409, by_header.text  # the ETag way, equally stale
    again = a.get(url).json()
    assert again["revision"] != board["revision"]
    assert again["scenes"][i]["narration"] == "Purple elephants dance on the moon."

    second = finished(a, child)
    vtt = a.get(second["links"]["captions_vtt"]).text
    assert "elephants" in vtt and "first scene" not in vtt
    assert a.get(f"/v1/jobs/{child['id']}/storyboard").json()["scenes"][i]["narration"].startswith("Purple")
    ratio = second["result"]["render_seconds"] / first["result"]["render_seconds"]
    print(f"re-render / first render: {ratio:.2f}")


def red_share(video: bytes) -> float:
    """The largest share of any frame's pixels near the DOCX picture's red (220, 30, 30)."""
    import io

    import av
    import numpy as np

    best = 0.0
    with av.open(io.BytesIO(video)) as container:
        for frame in container.decode(video=0):
            rgb = frame.to_ndarray(format="rgb24", width=160, height=90).astype(int)
            near = (np.abs(rgb - np.array([220, 30, 30])).sum(axis=2) < 60).mean()
            best = max(best, float(near))
    return best


def red_share_of_image(jpeg: bytes) -> float:
    """The share of a picture's pixels near the DOCX picture's red (a scene thumbnail)."""
    import io

    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as image:
        rgb = np.asarray(image.convert("RGB")).astype(int)
    return float((np.abs(rgb - np.array([220, 30, 30])).sum(axis=2) < 60).mean())


def png_bytes(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def data_url_of(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def test_a_docx_storyboard_keeps_its_pictures_through_an_edit(server: Server) -> None:
    """The pictures read out of an uploaded Word file are kept with the job and named in the
    storyboard by id (`attachment:ID`; `pictures=inline` gives the data: URL), so the storyboard,
    edited and sent back, is small, is accepted, and its re-render still shows them. An id names only
    this job's pictures; a data: URL is still accepted, checked as before."""
    from tests.test_readers_docx import report

    a = server.client("key-a-secret")
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    created = a.post(
        "/v1/jobs", files={"file": ("report.docx", report(), docx)}, data={"options": '{"aspect": "16:9"}'}
    )
    assert created.status_code == 202, created.text
    job = created.json()
    url = f"/v1/jobs/{job['id']}/storyboard"
    got = a.get(url)
    board = got.json()
    pictures = [s["image"]["path"] for s in board["scenes"] if s["image"] is not None]
    assert len(pictures) == 1 and re.fullmatch("attachment:[0-9a-f]{32}", pictures[0]), pictures
    assert "data:" not in got.text and "report.docx#" not in got.text
    inline = a.get(url, params={"pictures": "inline"})
    inlined = [s["image"]["path"] for s in inline.json()["scenes"] if s["image"] is not None]
    assert len(inlined) == 1 and inlined[0].startswith("data:image/png;base64,"), [p[:40] for p in inlined]
    assert inline.json()["revision"] == board["revision"] and len(got.content) < len(inline.content)
    finished(a, job)
    j = next(j for j, s in enumerate(board["scenes"]) if s["image"] is not None)
    thumb = a.get(board["thumbnails"][j])  # the slide as rendered, its picture drawn in
    assert thumb.status_code == 200, thumb.text
    assert red_share_of_image(thumb.content) > 0.05
    k = next(k for k, s in enumerate(board["scenes"]) if s["image"] is None)
    assert red_share_of_image(a.get(board["thumbnails"][k]).content) < 0.01

    fake = copy.deepcopy(board)
    fake["scenes"][j]["image"]["path"] = "data:image/png;base64," + base64.b64encode(b"%PDF-1.4 x").decode()
    refused = a.put(url, json=fake)  # an upload that is no picture is refused at once, by its field
    assert refused.status_code == 422 and f"scenes[{j}].image.path" in refused.text, refused.text
    assert "PDF" in refused.text
    for wrong in ("attachment:" + "0" * 32, "attachment:../storyboard"):
        other = copy.deepcopy(board)
        other["scenes"][j]["image"]["path"] = wrong
        refused = a.put(url, json=other)  # names no picture of this job
        assert refused.status_code == 422 and f"scenes[{j}].image.path" in refused.text, refused.text
        assert "no picture of this job" in refused.text

    edited = copy.deepcopy(board)
    i = next(i for i, s in enumerate(board["scenes"]) if s["image"] is None and s["narration"])
    edited["scenes"][i]["narration"] = "Những con voi màu tím nhảy múa."
    put = a.put(url, json=edited)
    assert put.status_code == 202, put.text
    child = finished(a, put.json())
    assert child["result"]["scenes"] == len(board["scenes"])
    # the child keeps the picture too (same picture, same id), whatever becomes of its parent
    assert a.get(f"/v1/jobs/{child['id']}/storyboard").json()["scenes"][-2:] == edited["scenes"][-2:]
    video = a.get(child["links"]["video"]).content
    assert red_share(video) > 0.05  # the Word file's red picture is on screen in the re-render

    # a stale edit keeps none of its pictures with the job (only an accepted one may add some)
    stale = copy.deepcopy(board)  # read before the edit above
    stale["scenes"][i]["image"] = {"path": data_url_of(png_bytes((64, 64), (10, 20, 250))), "alt": "blue"}
    assert a.put(url, json=stale).status_code == 409
    with sqlite3.connect(server.data_dir / "jobs.db") as db:
        names = db.execute("SELECT name FROM job_attachments WHERE job_id = ?", (job["id"],)).fetchall()
    assert sorted(n for (n,) in names) == sorted(["storyboard", "picture:" + pictures[0].split(":")[1]])

    # a storyboard with the picture as a data: URL (an older client, an upload) is still accepted
    old = copy.deepcopy(a.get(url).json())
    old["scenes"][j]["image"]["path"] = inlined[0]
    old["scenes"][i]["narration"] = "Một lần nữa."
    assert a.put(url, json=old).status_code == 202
    assert a.get(url).json()["scenes"][j]["image"]["path"] == pictures[0]  # the same picture, once


def test_voice_sample_and_offline_docs(server: Server) -> None:
    a = server.client("key-a-secret")
    voices = a.get("/v1/voices").json()
    vi = next(v["id"] for v in voices if v["id"] == "espeak:vi")
    sample = a.get("/v1/voices/sample", params={"voice": vi})
    assert sample.status_code == 200, sample.text
    assert sample.headers["content-type"] == "audio/wav" and sample.content[:4] == b"RIFF"
    assert len(sample.content) > 20_000  # about a second or more of speech
    assert a.get("/v1/voices/sample", params={"voice": vi}).content == sample.content  # cached
    refused = a.get("/v1/voices/sample", params={"voice": "openai:alloy"})
    assert refused.status_code == 422, refused.status_code
    assert server.client().get("/v1/voices/sample", params={"voice": vi}).status_code == 401

    docs = a.get("/docs")
    assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower() and "https://" not in docs.text.replace("https://fastapi", "")
    bundle = a.get("/docs-assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000
    assert a.get("/docs-assets/swagger-ui.css").status_code == 200


def test_an_undone_edit_refuses_a_reader_of_the_first_version(tmp_path: Path) -> None:
    """A -> B -> A leaves the storyboard as it was, but not at the revision it was: a PUT from a
    reader who read A before both edits is refused (409), not taken as current (a lost update)."""
    with served(tmp_path, "--workers", "0", T2V_API_KEYS="key-a-secret") as server:
        a = server.client("key-a-secret")
        job = a.post("/v1/jobs", json={"text": DOC, "format": "md"}).json()
        url = f"/v1/jobs/{job['id']}/storyboard"
        first = a.get(url).json()  # A, held by a reader who goes away for a while
        assert first["revision"] == 1
        b = copy.deepcopy(first)
        b["scenes"][-1]["narration"] = "An edit that is undone next."
        assert a.put(url, json=b).status_code == 202
        undo = {**copy.deepcopy(first), "revision": a.get(url).json()["revision"]}
        assert a.put(url, json=undo).status_code == 202
        now = a.get(url)
        assert now.json()["scenes"] == first["scenes"] and now.headers["etag"] == '"3"'
        late = copy.deepcopy(first)
        late["scenes"][0]["narration"] = "The late reader's edit, made from the first version."
        for sent in (late, {**late, "revision": str(first["revision"])}):
            refused = a.put(url, json=sent)
            assert refused.status_code == 409 and "GET it again (current: 3)" in refused.text
        by_header = {k: v for k, v in late.items() if k != "revision"}
        assert a.put(url, json=by_header, headers={"If-Match": '"1"'}).status_code == 409
        # a revision read before revisions were counted (a digest) is stale too
        assert a.put(url, json={**late, "revision": "3f9c0a1b2c3d4e5f"}).status_code == 409
        assert a.put(url, json={**late, "revision": [3]}).status_code == 422
        assert a.get(url).json()["scenes"] == first["scenes"]


def test_two_servers_accept_one_of_two_concurrent_puts_from_one_revision(tmp_path: Path) -> None:
    """Two `t2v serve` processes on one job store: the revision check is the store's compare-and-set,
    so of two edits made from the same revision exactly one is accepted, whichever server gets it."""
    import sqlite3
    from concurrent.futures import ThreadPoolExecutor

    keys = {"T2V_API_KEYS": "key-a-secret"}
    with served(tmp_path, "--workers", "0", **keys) as one, served(tmp_path, "--workers", "0", **keys) as two:
        a, b = one.client("key-a-secret"), two.client("key-a-secret")
        job = a.post("/v1/jobs", json={"text": DOC, "format": "md"}).json()
        url = f"/v1/jobs/{job['id']}/storyboard"
        board = a.get(url).json()
        # kept with the job: the other server reads the same storyboard, at the same revision
        assert b.get(url).json() == {**board, "thumbnails": b.get(url).json()["thumbnails"]}
        with sqlite3.connect(one.data_dir / "jobs.db") as db:
            sql = "SELECT revision FROM job_attachments WHERE job_id = ?"
            kept = db.execute(sql, (job["id"],)).fetchall()
        assert kept == [(board["revision"],)]
        for round_ in range(4):
            edits = []
            for who in ("one", "two"):
                edit = copy.deepcopy(board)
                edit["scenes"][-1]["narration"] = f"Round {round_}, edited through server {who}."
                edits.append(edit)
            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(lambda c, e: c.put(url, json=e), (a, b), edits))
            codes = sorted(r.status_code for r in answers)
            assert codes == [202, 409], [r.text for r in answers]
            board = a.get(url).json()
            won = edits[[r.status_code for r in answers].index(202)]
            assert board["scenes"][-1]["narration"] == won["scenes"][-1]["narration"]


async def test_a_picture_shown_by_two_scenes_is_kept_once_and_read_once(tmp_path: Path) -> None:
    """`keep_pictures` stores one attachment per distinct picture; `inline_pictures` reads each once,
    gives back the storyboard as it was, and names every reference that is no picture of the job."""
    from app.api.pictures import inline_pictures, keep_pictures
    from app.core.jobstore.base import NewJob
    from app.core.jobstore.sqlite import SQLiteJobStore
    from app.services.planning import ImageRef, Plan, Scene, StoryboardError

    red, blue = (data_url_of(png_bytes((8, 8), colour)) for colour in ((220, 30, 30), (10, 20, 250)))
    plan = Plan(
        scenes=[
            Scene(id=f"s{i}", layout="image_text", narration=f"Scene {i}.", image=ImageRef(path=p))
            for i, p in enumerate((red, red, blue))
        ]
    )
    async with SQLiteJobStore(tmp_path / "jobs.db") as store:
        await store.enqueue(NewJob(id="j", payload={"text": "x"}))
        named = await keep_pictures(store, "j", plan)
        paths = [s.image.path for s in named.scenes if s.image is not None]
        assert paths[0] == paths[1] != paths[2] and all(p.startswith("attachment:") for p in paths)
        with sqlite3.connect(tmp_path / "jobs.db") as db:
            kept = db.execute("SELECT COUNT(*) FROM job_attachments WHERE job_id = 'j'").fetchone()
        assert kept == (2,)
        reads: list[str] = []
        get = store.get_attachment

        async def counted(job_id: str, name: str):  # type: ignore[no-untyped-def]
            reads.append(name)
            return await get(job_id, name)

        store.get_attachment = counted  # type: ignore[method-assign]
        assert await inline_pictures(store, "j", named) == plan
        assert len(reads) == 2
        unknown = ImageRef(path="attachment:" + "0" * 32)
        wrong = Plan(scenes=[*named.scenes[:2], named.scenes[2].model_copy(update={"image": unknown})])
        with pytest.raises(StoryboardError, match=r"scenes\[2\].image.path"):
            await inline_pictures(store, "j", wrong)


@pytest.fixture(params=["sqlite", "postgres"])
def store_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """The server's job store: SQLite in its data directory, or a private PostgreSQL schema."""
    if request.param == "postgres":
        return {"T2V_DATABASE_URL": request.getfixturevalue("pg_url")}
    return {}


def attachment_names(server: Server, store_env: dict[str, str], job_id: str) -> list[str]:
    """What the job store keeps with a job, read from the store itself."""
    sql = "SELECT name FROM job_attachments WHERE job_id = %s ORDER BY name"
    if "T2V_DATABASE_URL" in store_env:
        import psycopg

        with psycopg.connect(store_env["T2V_DATABASE_URL"]) as pg:
            return [name for (name,) in pg.execute(sql, (job_id,)).fetchall()]
    with sqlite3.connect(server.data_dir / "jobs.db") as db:
        return [name for (name,) in db.execute(sql.replace("%s", "?"), (job_id,)).fetchall()]


def noise_png(seed: int) -> bytes:
    """A picture that does not compress: ~28 KB whatever the encoder does."""
    import numpy as np
    from PIL import Image

    out = io.BytesIO()
    pixels = np.random.default_rng(seed).integers(0, 256, (96, 96, 3), dtype=np.uint8)
    Image.fromarray(pixels, "RGB").save(out, "PNG")
    return out.getvalue()


def test_an_edit_is_saved_with_its_rerender_or_not_at_all(tmp_path: Path, store_env: dict[str, str]) -> None:
    """A storyboard PUT saves the edit in the transaction that queues its re-render: refused by the
    key's quota (429), it changes nothing and stores no picture. The quota counts the storyboards and
    pictures kept for the key, and an accepted edit deletes the pictures no revision shows any more
    (the second picture fits only because the first one went)."""
    pictures = [data_url_of(noise_png(seed)) for seed in range(4)]
    assert all(35_000 < len(p) < 45_000 for p in pictures)
    env = {"T2V_API_KEYS": "key-a-secret", "T2V_ARTIFACT_QUOTA_BYTES_PER_KEY": "60000", **store_env}
    with served(tmp_path, "--workers", "0", **env) as server:
        a = server.client("key-a-secret")
        job = a.post("/v1/jobs", json={"text": DOC, "format": "md"}).json()
        url = f"/v1/jobs/{job['id']}/storyboard"

        def edited(board: dict, scene: int, picture: str | None, narration: str | None = None) -> dict:  # type: ignore[type-arg]
            board = copy.deepcopy(board)
            board["scenes"][scene]["image"] = None if picture is None else {"path": picture, "alt": "noise"}
            if narration is not None:
                board["scenes"][scene]["narration"] = narration
            return board

        def kept() -> list[str]:
            return attachment_names(server, store_env, job["id"])

        board = a.get(url).json()
        assert kept() == ["storyboard"]
        assert a.put(url, json=edited(board, -1, pictures[0])).status_code == 202
        board = a.get(url).json()
        first = "picture:" + board["scenes"][-1]["image"]["path"].removeprefix("attachment:")
        assert kept() == sorted([first, "storyboard"])
        put = a.put(url, json=edited(board, -1, pictures[1]))  # replaces the first picture
        assert put.status_code == 202, put.text
        board = a.get(url).json()
        second = "picture:" + board["scenes"][-1]["image"]["path"].removeprefix("attachment:")
        assert kept() == sorted([second, "storyboard"])  # the first one, shown by no revision, is gone
        put = a.put(url, json=edited(board, 0, pictures[2]))  # one more: now over the quota
        assert put.status_code == 202, put.text
        board = a.get(url).json()
        held = kept()
        assert len(held) == 3 and second in held and board["revision"] == 4

        refused = a.put(url, json=edited(board, -1, pictures[3], "An edit the quota refuses."))
        assert refused.status_code == 429, refused.text
        detail = refused.json()["detail"]
        assert "storyboards take" in detail and "quota of 60000 bytes" in detail, detail
        assert a.get(url).json() == {**board, "thumbnails": a.get(url).json()["thumbnails"]}
        assert kept() == held  # neither the edit nor its picture was stored, nothing was deleted
        assert len(a.get("/v1/jobs").json()["jobs"]) == 4  # the job and its three accepted edits
        documented = a.get("/openapi.json").json()["paths"]["/v1/jobs/{job_id}/storyboard"]["put"]
        assert {"409", "422", "429"} <= set(documented["responses"])

        stale = a.put(url, json={**edited(board, -1, pictures[3]), "revision": 3})
        assert stale.status_code == 409 and "(current: 4)" in stale.text
        assert kept() == held
