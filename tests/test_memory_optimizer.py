from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from app.core.diskcache import file_digest
from app.core.memory_optimizer import (
    DiskCache,
    WorkspaceManager,
    copy_file,
    hash_file,
    hash_key,
    tree_rss,
)
from tests.conftest import ROOT


def run_child(code: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        text=True,
    )


def test_workspace_is_removed_after_success_and_failure(tmp_path: Path) -> None:
    wm = WorkspaceManager(tmp_path / "tmp")
    with wm.workspace("job-1") as ws:
        (ws / "speech.wav").write_bytes(b"x" * 100)
    assert not ws.exists()
    with pytest.raises(RuntimeError), wm.workspace("job-2") as ws2:
        (ws2 / "slide.png").write_bytes(b"y")
        raise RuntimeError("render failed")
    assert not ws2.exists()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_orphaned_workspaces_are_removed_at_start(tmp_path: Path) -> None:
    root = tmp_path / "tmp"
    child = run_child(
        f"""
        import time
        from pathlib import Path
        from app.core.memory_optimizer import WorkspaceManager
        with WorkspaceManager(Path({str(root)!r})).workspace("crash") as ws:
            (ws / "partial.mp4").write_bytes(b"half")
            print(ws, flush=True)
            time.sleep(60)
        """
    )
    orphan = Path(child.stdout.readline().strip())
    assert orphan.is_dir()
    wm = WorkspaceManager(root)
    assert wm.remove_orphans() == []  # its owner is alive: keep it
    child.send_signal(signal.SIGKILL)
    child.wait()
    with wm.workspace("mine") as live:
        assert wm.cleanup() >= len(b"half"), "the cleanup callback reports what it freed"
        assert live.exists() and not orphan.exists()


def test_copy_and_hash_are_chunked(tmp_path: Path) -> None:
    src = tmp_path / "a.bin"
    src.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    dest = tmp_path / "sub" / "b.bin"
    assert copy_file(src, dest) == src.stat().st_size
    assert dest.read_bytes() == src.read_bytes()
    assert hash_file(src) == hash_file(dest)
    assert [p.name for p in dest.parent.iterdir()] == ["b.bin"]
    assert hash_key("espeak", "vi", 175, "xin chào") != hash_key("espeak", "vi", 176, "xin chào")


def test_copying_a_1gb_sparse_file_keeps_rss_flat(tmp_path: Path) -> None:
    src = tmp_path / "sparse.bin"
    with open(src, "wb") as f:
        f.truncate(1024**3)
    child = run_child(
        f"""
        from pathlib import Path
        from app.core.memory_optimizer import copy_file, hash_file
        def vm(key):  # VmRSS now, VmHWM the peak of this process image (ru_maxrss counts pre-exec)
            for line in open("/proc/self/status"):
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        before = vm("VmRSS")
        copy_file(Path({str(src)!r}), Path({str(tmp_path / "copy.bin")!r}))
        hash_file(Path({str(src)!r}))
        print(before, vm("VmHWM"))
        """
    )
    out, _ = child.communicate(timeout=120)
    before, peak = (int(x) for x in out.split())
    assert (tmp_path / "copy.bin").stat().st_size == 1024**3
    assert peak - before < 50 * 1024 * 1024


def test_disk_cache_hits_misses_and_eviction(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "cache", max_bytes=3300)  # three 1000-byte entries and their checks
    assert cache.load("k0") is None
    for i in range(5):
        cache.put_bytes(f"k{i}", bytes([i]) * 1000)
        os.utime(cache.path_for(f"k{i}"), (1000 + i, 1000 + i))  # make LRU order explicit
    assert cache.size_bytes() <= 3300
    assert cache.load("k0") is None and cache.load("k1") is None
    assert cache.load("k4") == b"\x04" * 1000
    assert cache.stats.hits == 1 and cache.stats.misses == 3 and cache.stats.evictions == 2
    # a hit refreshes the entry, so the least recently *used* goes first (eviction goes a little
    # below the cap, so the hit on k4 above is undone to leave k2 the one recently used entry)
    os.utime(cache.path_for("k4"), (1004, 1004))
    cache.load("k2")
    cache.put_bytes("k5", b"5" * 1000)
    assert cache.load("k2") is not None and cache.load("k3") is None
    out = tmp_path / "out" / "k5"
    assert cache.fetch("k5", out) and out.read_bytes() == b"5" * 1000
    assert cache.stats.corrupt == 0
    assert cache.clear() > 0 and cache.size_bytes() == 0
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == [], "checks go with their entries"


def _halve(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("damage", "where"),
    [
        (_halve, "entry"),
        (_flip_last_byte, "entry"),  # same size, other content
        (_halve, "check"),
        (_flip_last_byte, "check"),
        (Path.unlink, "check"),
        (lambda p: p.write_bytes(b"\xff\xfe garbage"), "check"),
    ],
)
def test_a_damaged_entry_or_check_is_a_miss_and_is_removed(tmp_path: Path, damage, where: str) -> None:
    cache = DiskCache(tmp_path / "cache")
    payload = os.urandom(100_000)
    for suffix in (".bin", ".json"):
        entry = cache.put_bytes("key", payload, suffix)
        damage(entry if where == "entry" else entry.with_name(entry.name + ".check"))
    dest = tmp_path / "work" / "key.bin"
    assert not cache.fetch("key", dest, ".bin")
    assert not dest.exists(), "a damaged entry is never left where the caller asked for it"
    assert cache.load("key", ".json") is None
    assert cache.stats.corrupt == 2 and cache.stats.hits == 0
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == [], "both entries were removed"
    # and the next store heals it
    cache.put_bytes("key", payload, ".bin")
    assert cache.fetch("key", dest, ".bin") and dest.read_bytes() == payload


def test_cache_files_are_private(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "data" / "cache")
    entry = cache.put_bytes("key", b"secret narration")
    for path in (entry, entry.with_name(entry.name + ".check")):
        assert path.stat().st_mode & 0o777 == 0o600, path
    for directory in (entry.parent, cache.root, cache.root.parent):
        assert directory.stat().st_mode & 0o777 == 0o700, directory


def test_a_writer_killed_mid_write_leaves_no_visible_entry(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    child = run_child(
        f"""
        import time
        from pathlib import Path
        from app.core.memory_optimizer import DiskCache
        cache = DiskCache(Path({str(root)!r}))
        with cache.writing("key") as tmp:
            with open(tmp, "wb") as f:
                f.write(b"partial")
                f.flush()
                print("writing", flush=True)
                time.sleep(60)
        """
    )
    assert child.stdout.readline().strip() == "writing"
    child.send_signal(signal.SIGKILL)
    child.wait()
    cache = DiskCache(root)
    assert cache.load("key") is None
    assert cache.size_bytes() == 0


def test_two_processes_writing_one_key_end_with_one_valid_entry(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    code = """
        import sys, time
        from pathlib import Path
        from app.core.memory_optimizer import DiskCache
        cache = DiskCache(Path({root!r}))
        payload = bytes([int(sys.argv[1])]) * 5_000_000
        time.sleep(max(0.0, {start} - time.time()))
        for _ in range(5):
            cache.put_bytes("shared", payload)
        print("ok")
    """
    start = time.time() + 1.0
    children = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code.format(root=str(root), start=start)), str(n)],
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in (1, 2)
    ]
    assert [c.communicate(timeout=60)[0].strip() for c in children] == ["ok", "ok"]
    cache = DiskCache(root)
    data = cache.load("shared")
    assert data is not None, "the entry and its check come from the same writer"
    assert len(data) == 5_000_000 and data in (b"\x01" * 5_000_000, b"\x02" * 5_000_000)
    assert sorted(p.name for p in cache.path_for("shared").parent.iterdir()) == ["shared", "shared.check"]


def test_memory_figures() -> None:
    assert tree_rss() >= psutil.Process().memory_info().rss
    assert tree_rss(2**22 + 12345) == 0  # no such process


def test_storing_many_entries_does_not_rescan_the_cache_each_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scanning the directory on every write made a render of thousands of scenes quadratic."""
    cache = DiskCache(tmp_path / "cache", max_bytes=10 * 1024 * 1024)
    scans = []
    entries = DiskCache._entries
    monkeypatch.setattr(DiskCache, "_entries", lambda self: scans.append(1) or entries(self))
    for i in range(2000):
        cache.put_bytes(f"key{i:05d}", b"x" * 200)
    assert len(scans) <= 5
    small = DiskCache(tmp_path / "small", max_bytes=20_000)  # the cap still holds
    for i in range(500):
        small.put_bytes(f"key{i:05d}", b"y" * 200)
    assert small.size_bytes() <= 20_000


def test_what_one_thread_freed_serves_the_next() -> None:
    """`return_large_buffers` makes every thread allocate from one heap: the buffers a worker thread
    freed (a scene's audio arrays, a slide's layers) serve the next thread's work, instead of each
    thread of the pool keeping an arena of its own freed buffers that no other thread reuses (~50 MB
    more at a cold 1080p render's peak). Four long-lived threads in turn each make and drop 48 MB of
    1 MB buffers (under the mapping threshold: from a heap) and a small one that stays."""
    child = run_child(
        """
        import threading
        import psutil
        from app.core.memory_optimizer import return_large_buffers

        assert return_large_buffers()
        me, pins, finish = psutil.Process(), [], threading.Event()

        def work(turn, done):
            turn.wait()
            blocks = [bytearray(1 << 20) for _ in range(48)]
            pins.append(bytearray(4096))  # kept: in an arena of its own, it holds that arena's heap
            del blocks
            done.set()
            finish.wait()  # the thread stays, as a pool's threads do

        events = [threading.Event() for _ in range(5)]
        events[0].set()
        before = me.memory_info().rss
        threads = [threading.Thread(target=work, args=(events[i], events[i + 1])) for i in range(4)]
        for t in threads:
            t.start()
        events[-1].wait()
        print((me.memory_info().rss - before) / 1e6, flush=True)
        finish.set()
        for t in threads:
            t.join()
        """
    )
    out, _ = child.communicate(timeout=60)
    assert child.returncode == 0
    grown = float(out.strip())
    # one heap: at most one thread's 48 MB stays (here none); an arena per thread kept ~200 MB
    assert grown < 96, f"{grown:.0f} MB resident after four threads each used 48 MB in turn"


def test_the_process_start_shares_one_heap_between_threads(tmp_path: Path) -> None:
    """`build_runtime` (every process's start: CLI, server, workers) sets the C heap up once, before
    any render's threads: four threads that allocate then use one heap (glibc's `malloc_info` lists
    the heaps; without the setting each thread gets its own)."""
    child = run_child(
        f"""
        import ctypes, threading
        from app.config import load_settings
        from app.runtime import build_runtime

        build_runtime(load_settings(data_dir={str(tmp_path / "data")!r}))
        go = threading.Event()

        def work():
            kept = bytearray(100_000)  # malloc'd by this thread: from its arena
            go.wait()

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        libc = ctypes.CDLL("libc.so.6")
        libc.fopen.restype = ctypes.c_void_p
        out = libc.fopen(b{str(tmp_path / "heaps.xml")!r}, b"w")
        libc.malloc_info(0, ctypes.c_void_p(out))
        libc.fclose(ctypes.c_void_p(out))
        go.set()
        for t in threads:
            t.join()
        """
    )
    child.communicate(timeout=60)
    assert child.returncode == 0
    assert (tmp_path / "heaps.xml").read_text().count("<heap nr=") == 1


def test_a_stored_or_fetched_file_comes_with_its_content_digest(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "cache")
    src, dest = tmp_path / "speech.wav", tmp_path / "work" / "speech.wav"
    src.write_bytes(os.urandom(50_000))
    stored = cache.put_file("key", src, ".wav")
    assert stored == file_digest(src)
    dest.parent.mkdir()
    assert cache.fetch_checked("key", dest, ".wav") == stored and dest.read_bytes() == src.read_bytes()
    src.write_bytes(os.urandom(50_000))  # other audio under the same key: another digest
    assert cache.put_file("key", src, ".wav") != stored
    assert cache.fetch_checked("key", tmp_path / "work" / "again.wav", ".wav") == file_digest(src)
    assert cache.fetch_checked("other", tmp_path / "work" / "none.wav", ".wav") is None


def test_an_entry_checked_the_old_way_still_hits_and_its_check_is_renewed(tmp_path: Path) -> None:
    """Caches written before SHA-256 checks hold BLAKE2b ones (v1): verified as they are, then
    rewritten in today's form; a v1 check that does not match is still a miss."""
    cache = DiskCache(tmp_path / "cache")
    payload = os.urandom(70_000)
    for suffix in (".bin", ".json", ".bad"):
        entry = cache.put_bytes("key", payload, suffix)
        old = hashlib.blake2b(payload if suffix != ".bad" else payload[::-1], digest_size=16).hexdigest()
        entry.with_name(entry.name + ".check").write_bytes(
            f"t2v-cache-check-v1 {len(payload)} {old}\n".encode()
        )
    dest = tmp_path / "work" / "key.bin"
    assert cache.fetch_checked("key", dest, ".bin") == hashlib.sha256(payload).hexdigest()
    assert cache.load("key", ".json") == payload
    assert not cache.fetch("key", tmp_path / "work" / "key.bad", ".bad")
    assert cache.stats.hits == 2 and cache.stats.corrupt == 1
    for suffix in (".bin", ".json"):
        check = cache.path_for("key", suffix + ".check").read_text()
        assert check == f"t2v-cache-check-v2 {len(payload)} {hashlib.sha256(payload).hexdigest()}\n"
    assert not cache.path_for("key", ".bad").exists()
    assert sorted(p.name for p in cache.path_for("key").parent.iterdir()) == [
        "key.bin",
        "key.bin.check",
        "key.json",
        "key.json.check",
    ], "no temp check left behind"
