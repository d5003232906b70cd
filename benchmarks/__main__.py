"""Run every benchmark and print its figures: `uv run python -m benchmarks [name ...]`."""

from __future__ import annotations

import importlib
import json
import sys
import time

BENCHMARKS = [
    "bench_startup",
    "bench_vs_llm",
    "bench_chat_screen",
    "bench_fts",
    "bench_agent",
    "bench_dead_endpoint",
    "bench_tui",
    "bench_server",
    "bench_mcp",
    "bench_memory",
    "bench_prompt",
]


def main(argv: list[str]) -> int:
    chosen = argv or BENCHMARKS
    unknown = [b for b in chosen if b not in BENCHMARKS]
    if unknown:
        sys.stderr.write(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}\n")
        return 2
    results: dict[str, object] = {}
    for name in chosen:
        module = importlib.import_module(f"benchmarks.{name}")
        started = time.perf_counter()
        print(f"== {name}", flush=True)
        results[name] = module.run()
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
