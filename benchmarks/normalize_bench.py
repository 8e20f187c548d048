"""Speech normalization: time per megabyte of narration, and growth with size (it should be linear).

Vietnamese and English text dense with what the rules rewrite (dates, money, units, abbreviations,
addresses, phones), plain prose, and a lexicon of 2,000 words and 20 patterns. No pass/fail: the
numbers go to benchmarks/results/normalize.md.

    make bench-normalize    # or: .venv/bin/python benchmarks/normalize_bench.py
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.services.planning.normalize import Lexicon, normalize_with_alignment  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "normalize.md"
DENSE_VI = (
    "Ngày 29/11/2026, UBND TP.HCM chi 1.500.000 đ (khoảng 3,5%) cho 120 km đường; "
    "gọi 0912 345 678 hoặc xem https://vnexpress.net/a-b-c.html lúc 7h30. "
)
DENSE_EN = (
    "On November 29, 2026, Dr. Smith paid $12.5M (about 3.5%) for 120 km of road; "
    "call (555) 123-4567 or see https://example.com/a/b?c=1 at 7:30 pm. "
)
PLAIN_VI = "Đây là một đoạn văn bình thường, chỉ có chữ và dấu câu, không có gì cần đọc khác đi. "
SIZES = (250_000, 1_000_000, 2_000_000)


def lexicon() -> Lexicon:
    words = {f"từ{n}": f"đọc {n}" for n in range(2_000)}
    patterns = [{"pattern": rf"mã{n}-(\d+)", "say": rf"mã {n} số \1"} for n in range(20)]
    return Lexicon.from_mapping({"vi": {**words, "regex": patterns}}, source="bench")


def seconds(text: str, language: str, words: Lexicon | None) -> float:
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        normalize_with_alignment(text, language, words)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    words = lexicon()
    cases = [
        ("Vietnamese, dense", DENSE_VI, "vi", None),
        ("Vietnamese, dense, lexicon", DENSE_VI, "vi", words),
        ("English, dense", DENSE_EN, "en", None),
        ("Vietnamese, plain prose", PLAIN_VI, "vi", None),
    ]
    lines = [
        "# Speech normalization",
        "",
        f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}.",
        "Median of 3 runs of `normalize_with_alignment` (spoken text and alignment segments).",
        "",
        "| text | " + " | ".join(f"{size // 1000} kB" for size in SIZES) + " | s per MB at the largest |",
        "|---|" + "---|" * (len(SIZES) + 1),
    ]
    for name, unit, language, lexicon_or_none in cases:
        times = [seconds(unit * (size // len(unit)), language, lexicon_or_none) for size in SIZES]
        per_mb = times[-1] / (SIZES[-1] / 1_000_000)
        lines.append(f"| {name} | " + " | ".join(f"{t:.2f} s" for t in times) + f" | {per_mb:.2f} |")
        print(lines[-1], flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
