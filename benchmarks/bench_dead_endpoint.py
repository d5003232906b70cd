"""How long `pa ask` takes to report a dead `llm.base_url`, with default settings (budget: 15 s).

Two dead endpoints on 127.0.0.1: a closed port (connection refused) and a port that
accepts connections and never answers (a black hole). Reports the median (min, max)
wall time of the whole command, from start to its error, over a few runs each, and
checks that the error names the URL. A working answer from the scripted LLM is the
baseline (start-up and one request).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from benchmarks.stats import summarize_ms
from pa_cli.testing.fake_llm import FakeLLM

RUNS = 3
BUDGET_S = 15.0


@contextmanager
def _closed_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    yield port


@contextmanager
def _black_hole() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield sock.getsockname()[1]


def _time(env: dict[str, str], expect: str | None) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pa_cli", "ask", "bench"], env=env, capture_output=True, text=True, timeout=600
    )
    elapsed = time.perf_counter() - started
    if expect is not None and (done.returncode == 0 or expect not in done.stderr):
        raise SystemExit(f"unexpected outcome: rc={done.returncode} stderr={done.stderr!r}")
    return elapsed


def _in_process(url: str) -> float:
    """The wait itself, without Python's start-up: one AssistantLLM call with default settings."""
    import asyncio
    from datetime import UTC, datetime

    from pydantic import SecretStr

    from pa_cli.agent.llm import AssistantLLM, LLMError, TurnContext
    from pa_cli.config import LLMSettings, Settings

    settings = Settings(llm=LLMSettings(provider="openai-generic", base_url=url, api_key=SecretStr("k")))
    llm = AssistantLLM(settings)
    llm._baml()  # import BAML before the clock starts
    ctx = TurnContext("bench", datetime.now(UTC), "UTC", [], [], [], "bench")

    async def ignore(_: str) -> None:
        return None

    started = time.perf_counter()
    try:
        asyncio.run(llm.respond(ctx, ignore))
    except LLMError as exc:
        if url not in exc.message:
            raise SystemExit(f"the error does not name {url}: {exc.message}") from None
    return time.perf_counter() - started


def run() -> dict[str, object]:
    results: dict[str, object] = {}
    dead = {"in process, connection refused": _closed_port, "in process, black hole": _black_hole}
    for label, hole in dead.items():
        waits = []
        for _ in range(RUNS):
            with hole() as port:
                waits.append(_in_process(f"http://127.0.0.1:{port}/v1"))
        summary = summarize_ms(waits)
        results[label] = summary
        print(
            f"   {label}: median {summary['median_ms']:.0f} ms "
            f"(min {summary['min_ms']:.0f}, max {summary['max_ms']:.0f})"
        )
    with tempfile.TemporaryDirectory() as home, FakeLLM() as fake:
        base = {**os.environ, "PA_HOME": home, **fake.env("openai-generic")}
        for key in ("PA_LLM_MAX_RETRIES", "PA_LLM_TIMEOUT_SECONDS"):
            base.pop(key, None)
        fake.reply_text('{"thought": "", "tool_calls": [], "answer": "ok"}')
        _time(base, None)  # warm up: migrations, caches
        baseline_ms = 0.0
        cases = {"answer (baseline)": None, "connection refused": _closed_port, "black hole": _black_hole}
        for name, endpoint in cases.items():
            samples = []
            for _ in range(RUNS):
                if endpoint is None:
                    fake.reply_text('{"thought": "", "tool_calls": [], "answer": "ok"}')
                    samples.append(_time(base, None))
                    continue
                with endpoint() as port:
                    url = f"http://127.0.0.1:{port}/v1"
                    samples.append(_time({**base, "PA_LLM_BASE_URL": url}, url))
            stats = summarize_ms(samples)
            if endpoint is not None:
                # What the dead endpoint itself costs: the command's time beyond a working answer's.
                stats["beyond_baseline_ms"] = round(stats["median_ms"] - baseline_ms, 2)
            else:
                baseline_ms = stats["median_ms"]
            results[name] = stats
            verdict = ""
            if endpoint is not None:
                over = stats["max_ms"] > BUDGET_S * 1000
                verdict = (
                    f" ({'over' if over else 'within'} the {BUDGET_S:g} s budget at this machine's load)"
                )
            extra = (
                f", {stats['beyond_baseline_ms']:.0f} ms beyond the baseline" if endpoint is not None else ""
            )
            print(
                f"   {name}: median {stats['median_ms']:.0f} ms "
                f"(min {stats['min_ms']:.0f}, max {stats['max_ms']:.0f}){extra}{verdict}"
            )
    return results


if __name__ == "__main__":
    run()
