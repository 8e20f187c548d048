"""One t2v render in its own process, so that the benchmark's memory sampler sees only this render.

Uses the data dir in T2V_DATA_DIR (a warm one means speech and slides come from the cache). Prints
one JSON line: the render's own elapsed time (Renderer.render, no interpreter start-up), when each
stage began, and the composition stage's time (from the VIDEO stage's start to the published MP4).
Options the lead engineer is adding (fps, motion) are passed only when asked for; if RenderOptions
lacks them the run exits with code 3 and says so, and the driver reports "not available".

    .venv/bin/python benchmarks/ours_render.py DOC.md OUT.mp4 --resolution 1080 [--fps 30] \
        [--motion [none|photos|all]]   # a bare --motion: all
    .venv/bin/python benchmarks/ours_render.py PLAN.json OUT.mp4 --plan   # Renderer.render_plan; its
                                                          # images come from PLAN.json's folder
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

from app.runtime import build_runtime
from app.services.documents import load_document
from app.services.images import ImagePolicy
from app.services.models import RenderOptions
from app.services.pipeline import Progress, Stage
from app.services.planning import Plan


def options_from(args: argparse.Namespace) -> RenderOptions:
    """RenderOptions for this run; exits with 3 if a requested option is not in this checkout yet."""
    known = {f.name for f in dataclasses.fields(RenderOptions)}
    values: dict[str, Any] = {"resolution": args.resolution}
    if args.fps is not None:
        values["fps"] = args.fps
    if args.motion:
        values["motion"] = args.motion  # a bare --motion: every scene (the default moves photos only)
    if args.transition:
        values["transition"] = args.transition
    if args.visuals:
        values["visuals"] = args.visuals
    missing = sorted(set(values) - known)
    if missing:
        print(json.dumps({"unavailable": missing}))
        sys.exit(3)
    return RenderOptions(**values)


async def render(doc: Path, out: Path, options: RenderOptions, plan: bool = False) -> dict[str, Any]:
    """Render once, noting the first time each stage reports progress."""
    renderer = build_runtime().renderer
    started = time.perf_counter()
    firsts: dict[str, float] = {}

    def on_progress(p: Progress) -> None:
        firsts.setdefault(p.stage.value, time.perf_counter() - started)

    if plan:
        images = ImagePolicy(root=doc.parent, frame=options.video_format.size)
        the_plan = Plan.model_validate_json(doc.read_text(encoding="utf-8"))
        result = await renderer.render_plan(the_plan, out, options, progress=on_progress, images=images)
    else:
        document = load_document(doc)
        result = await renderer.render(document, out, options, progress=on_progress)
    elapsed = time.perf_counter() - started
    compose = elapsed - firsts.get(Stage.VIDEO.value, elapsed)
    return {
        "elapsed": elapsed,
        "compose": compose,
        "stages": firsts,
        "duration": result.duration,
        "syntheses": getattr(renderer.tts, "syntheses", -1),  # 0 on a warm cache
        "slides_drawn": renderer.visuals.drawn,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("doc", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--resolution", type=int, default=1080)
    parser.add_argument("--fps", type=int, default=None)
    parser.add_argument("--motion", nargs="?", const="all", choices=("none", "photos", "all"))
    parser.add_argument("--transition", default=None, help="none, fade, crossfade, slide or wipe")
    parser.add_argument("--visuals", default=None, help="picture providers, e.g. local:DIR")
    parser.add_argument("--plan", action="store_true", help="DOC is a Plan as JSON")
    args = parser.parse_args()
    options = options_from(args)
    print(json.dumps(asyncio.run(render(args.doc, args.out, options, args.plan))))


if __name__ == "__main__":
    main()
