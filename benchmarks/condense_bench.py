"""Condensation (`--duration`): time to fit a long document's plan to a target, and growth with size.

Documents of 25, 50 and 100 pages (about 500 words a page, a heading every few paragraphs) are made
from the English and Vietnamese test documents' sentences in a seeded shuffle; each is planned once,
then condensed to 90 s and to 10 minutes. No pass/fail: the numbers go to
benchmarks/results/condense.md.

    make bench-condense    # or: .venv/bin/python benchmarks/condense_bench.py
"""

from __future__ import annotations

import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.config import load_settings  # noqa: E402
from app.core.memory_optimizer import WorkspaceManager  # noqa: E402
from app.services.documents import document_from_bytes  # noqa: E402
from app.services.models import RenderOptions  # noqa: E402
from app.services.pipeline import Renderer  # noqa: E402
from app.services.planning import DurationTarget, ScriptLimits, condense_plan, split_sentences  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "condense.md"
WORDS_PER_PAGE = 500
PAGES = (25, 50, 100)
TARGETS = (90.0, 600.0)


def sentences(name: str) -> list[str]:
    text = (ROOT / "tests" / "data" / name).read_text(encoding="utf-8")
    prose = [line for line in text.splitlines() if line and not line.startswith(("#", "-", "`", "|"))]
    return [s.strip() for line in prose for s in split_sentences(line) if len(s.split()) > 3]


def document(name: str, pages: int, seed: int = 17) -> bytes:
    pool, rng = sentences(name), random.Random(seed)
    out, words, section = [], 0, 0
    while words < pages * WORDS_PER_PAGE:
        if not out or rng.random() < 0.25:
            section += 1
            out.append(f"# Section {section}\n")
        paragraph = " ".join(rng.sample(pool, 4))
        words += len(paragraph.split())
        out.append(re.sub(r"\s+", " ", paragraph) + "\n")
    return "\n".join(out).encode("utf-8")


def timed(fn, runs: int = 3):  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    # a 100-page document reads for about 5 hours: over the render's default limit, not this one's
    renderer = Renderer(
        WorkspaceManager(ROOT / "benchmarks" / ".tmp-condense"),
        limits=ScriptLimits(100, 100_000, 1_000),
        settings=load_settings(),
    )
    lines = [
        "# Condensation (--duration)",
        "",
        f"Machine: {platform.machine()}, {platform.python_version()}; medians of 3. Documents of about "
        f"{WORDS_PER_PAGE} words a page made from tests/data sentences; planned once (the planner of the "
        "day), then condensed. `make bench-condense`.",
        "",
        "| document | pages | words | sentences | whole (est.) | plan (s) | target | condense (s) | est. |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, label in (("captions_en.md", "English"), ("captions_vi.md", "Vietnamese")):
        for pages in PAGES:
            data = document(name, pages)
            doc = document_from_bytes(data, "long.md", None, 10_000_000)
            plan_s, plan = timed(lambda: renderer.plan_document(doc, RenderOptions()), runs=1)  # noqa: B023
            n = sum(len(split_sentences(s.narration)) for s in plan.scenes)
            for target in TARGETS:
                cond_s, result = timed(lambda: condense_plan(plan, DurationTarget(target)))  # noqa: B023
                lines.append(
                    f"| {label} | {pages} | {len(data.decode().split()):,} | {n:,} | "
                    f"{result.before / 60:.0f} min | {plan_s:.2f} | {target:.0f} s | {cond_s:.2f} | "
                    f"{result.after:.1f} s |"
                )
                print(lines[-1], flush=True)
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
