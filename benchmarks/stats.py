"""Small statistics helpers shared by the benchmarks."""

from __future__ import annotations

import statistics


def summarize_ms(samples_s: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples_s)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return {
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(p95, 2),
        "min_ms": round(ms[0], 2),
        "max_ms": round(ms[-1], 2),
        "runs": len(ms),
    }
