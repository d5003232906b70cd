"""Agent overhead per turn: the whole `pa ask` command against a zero-latency scripted LLM.

Reports the median (min, max) wall time of 10 runs per turn type and how many
LLM calls each turn type cost.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from benchmarks.stats import summarize_ms
from pa_cli.testing.fake_llm import FakeLLM

RUNS = 10


def _thinking(answer: str | None, *calls: tuple[str, dict[str, object]]) -> str:
    return json.dumps(
        {"thought": "", "tool_calls": [{"tool": t, "arguments": a} for t, a in calls], "answer": answer}
    )


def _plain(fake: FakeLLM) -> None:
    fake.reply_text(_thinking("The capital of France is Paris."))


def _one_tool(fake: FakeLLM) -> None:
    fake.reply_text(_thinking(None, ("fs_write", {"path": "/bench.md", "content": "x"})))
    fake.reply_text(_thinking("Saved."))


def _two_tools(fake: FakeLLM) -> None:
    fake.reply_text(_thinking(None, ("fs_write", {"path": "/bench.md", "content": "x"})))
    fake.reply_text(_thinking(None, ("fs_read", {"path": "/bench.md"})))
    fake.reply_text(_thinking("It says x."))


TURNS: dict[str, Callable[[FakeLLM], None]] = {
    "plain answer": _plain,
    "1 tool round": _one_tool,
    "2 tool rounds": _two_tools,
}


def run() -> dict[str, object]:
    results: dict[str, object] = {}
    with FakeLLM() as fake, tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PA_HOME": home, **fake.env("openai-generic")}
        cmd = [sys.executable, "-m", "pa_cli", "ask"]
        _plain(fake)
        subprocess.run([*cmd, "warm up"], env=env, capture_output=True, check=True)  # migrations, caches
        for name, script in TURNS.items():
            samples = []
            fake.reset()
            for _ in range(RUNS):
                script(fake)
                started = time.perf_counter()
                subprocess.run([*cmd, "bench"], env=env, capture_output=True, check=True)
                samples.append(time.perf_counter() - started)
            stats = summarize_ms(samples)
            calls = len(fake.requests) / RUNS
            results[name] = {**stats, "llm_calls_per_turn": calls}
            print(
                f"   {name}: median {stats['median_ms']} ms (min {stats['min_ms']}, max {stats['max_ms']}), "
                f"{calls:g} LLM call(s) per turn"
            )
    return results


if __name__ == "__main__":
    run()
