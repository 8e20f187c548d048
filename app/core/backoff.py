"""Exponential backoff with jitter: one policy for job retries, HTTP retries and reconnect loops."""

from __future__ import annotations

import random
from dataclasses import dataclass

from app.config import setting_default


@dataclass(frozen=True)
class RetryPolicy:
    """base * 2^(attempt-1), capped at `max_seconds`, times a random 1 ± `jitter` so that many
    clients failing together do not retry together."""

    base_seconds: float = setting_default("retry_base_seconds")
    max_seconds: float = setting_default("retry_max_seconds")
    jitter: float = 0.25

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        raw = min(self.max_seconds, self.base_seconds * 2.0 ** max(0, attempt - 1))
        uniform = rng.uniform if rng is not None else random.uniform
        return raw * uniform(1 - self.jitter, 1 + self.jitter)
