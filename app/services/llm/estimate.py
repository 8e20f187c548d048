"""Cost and time up front (`t2v plan --estimate`): LLM requests and tokens when an LLM writes the
script, characters the voice will synthesize, the video's length and the render's expected time.

Tokens are estimated at 4 characters each (the usual figure for English; Vietnamese text takes more
tokens per character, so it is an underestimate there); the render time from this machine kind's
measurements (about 1 s of work per 20 s of video with espeak, plus start-up)."""

from __future__ import annotations

from dataclasses import dataclass

from app.services.llm.prompts import BUILT_IN
from app.services.models import Pauses
from app.services.planning import Plan, plan_seconds

CHARS_PER_TOKEN = 4.0
RENDER_START_SECONDS = 2.0
RENDER_SECONDS_PER_VIDEO_SECOND = 0.05
PROMPT_OVERHEAD_CHARS = sum(len(p.read_text(encoding="utf-8")) for p in BUILT_IN.glob("*.txt")) + 800


@dataclass(frozen=True)
class Estimate:
    characters: int  # the voice's input
    video_seconds: float
    render_seconds: float
    llm_requests: int = 0
    prompt_tokens: int = 0
    answer_tokens: int = 0

    def lines(self) -> list[str]:
        out = []
        if self.llm_requests:
            out.append(
                f"LLM: {self.llm_requests} request(s), about {self.prompt_tokens:,} prompt tokens and "
                f"{self.answer_tokens:,} answer tokens (first tries; each retry sends the conversation again)"
            )
        out.append(f"speech: {self.characters:,} characters to synthesize")
        out.append(
            f"video: about {self.video_seconds / 60:.1f} min; "
            f"render: about {self.render_seconds:.0f} s on this machine"
        )
        return out


def estimate_render(
    plan: Plan, rate: int, pauses: Pauses | None = None, *, llm_source_chars: int = 0, llm_requests: int = 0
) -> Estimate:
    """What rendering `plan` costs; with `llm_source_chars` (the document or topic sent in
    `llm_requests` requests), what asking the LLM for it costs as well (its answer about the plan's
    size)."""
    seconds = plan_seconds(plan, rate, pauses)
    characters = sum(len(s.spoken or s.narration) for s in plan.scenes)
    render = RENDER_START_SECONDS + RENDER_SECONDS_PER_VIDEO_SECOND * seconds
    if not llm_requests:
        return Estimate(characters, seconds, render)
    prompt = (llm_source_chars + PROMPT_OVERHEAD_CHARS * llm_requests) / CHARS_PER_TOKEN
    answer = characters * 1.6 / CHARS_PER_TOKEN  # narration, bullets, keywords and the JSON around them
    return Estimate(characters, seconds, render, llm_requests, round(prompt), round(answer))
