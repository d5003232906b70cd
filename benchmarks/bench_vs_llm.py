"""`pa ask` side by side with simonw/llm against the same loopback fake model.

Both commands ask one question of the project's fake LLM server (OpenAI wire format, streamed):
`pa ask ping` and `llm -m fake ping` (an extra-openai-models.yaml in a private LLM_USER_PATH points
`llm` at the fake). The model answers at once, or after 800 ms to its first byte. Runs are
interleaved (pa, llm, pa, llm...) so that a machine whose load changes hurts both alike; each of
ROUNDS rounds gives a median, and the figures are the median of the round medians with their
spread (lowest and highest round median). Peak RSS comes from wait4(), the call behind
`/usr/bin/time -f %M`.

Targets (issue 17), each printed as "met" or "MISSED (cause)":
- `pa ask` against the zero-latency model: at most 0.5x `llm`'s time;
- what pa adds to a model with 800 ms to its first byte (pa's time minus 800 ms): at most 100 ms
  (a warm-up question first keeps the template `pa ask` sends ahead from, as on any later day; the
  first question of a configuration, without one, is reported beside it);
- `pa ask` peak RSS: at most 60 MB;
- `pa --help`: at most 0.15x `llm --help`.

`llm` is pinned in the `bench` dependency group:
`uv run --group bench python -m benchmarks bench_vs_llm`.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pa_cli.testing.fake_llm import FakeLLM, Reply

ROUNDS = 3
RUNS_PER_ROUND = 5
SLOW_FIRST_BYTE_MS = 800
ANSWER = "pong, and a few more words so that the answer streams in several chunks"
LLM_KEY = "llm-bench-key"
PA_KEY = "pa-bench-key"  # tells the fake which client asked (pa's prompts are BAML's JSON contract)


@dataclass
class Timed:
    seconds: float
    peak_rss_kb: int
    #: The child's user + system CPU (wait4): what a loaded machine does not inflate much.
    cpu_seconds: float = 0.0


def _run(args: list[str], env: dict[str, str]) -> Timed:
    """Run to the end; wall time and the child's own peak RSS (wait4, as /usr/bin/time -f %M)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out = process.stdout.read() if process.stdout else b""
    err = process.stderr.read() if process.stderr else b""
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(
            f"{args[0]} {' '.join(args[1:3])} failed ({process.returncode}): {err.decode()[-500:]}"
        )
    if b"pong" not in out and "--help" not in args:
        raise RuntimeError(f"{args} printed no answer: {out[:200]!r}")
    return Timed(elapsed, int(usage.ru_maxrss), usage.ru_utime + usage.ru_stime)


def _llm_executable() -> str:
    found = shutil.which("llm", path=os.path.dirname(sys.executable))
    if found is None:
        raise SystemExit(
            "`llm` is not installed: run `uv run --group bench python -m benchmarks bench_vs_llm`"
        )
    return found


def _pa_command() -> list[str]:
    found = shutil.which("pa", path=os.path.dirname(sys.executable))
    return [found] if found else [sys.executable, "-m", "pa_cli"]


def _envs(fake: FakeLLM, home: Path) -> tuple[dict[str, str], dict[str, str]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PA_", "LLM_", "OPENAI_"))}
    pa_env = {**base, "PA_HOME": str(home / "pa"), **fake.env("openai-generic", api_key=PA_KEY)}
    llm_home = home / "llm"
    llm_home.mkdir()
    (llm_home / "extra-openai-models.yaml").write_text(
        f"- model_id: fake\n  model_name: fake-model\n  api_base: {json.dumps(fake.openai_base_url)}\n",
        encoding="utf-8",
    )
    llm_env = {**base, "LLM_USER_PATH": str(llm_home), "OPENAI_API_KEY": LLM_KEY}
    return pa_env, llm_env


def _interleaved(commands: dict[str, tuple[list[str], dict[str, str]]]) -> dict[str, list[list[Timed]]]:
    """ROUNDS rounds of RUNS_PER_ROUND runs, the commands taking turns run by run."""
    rounds: dict[str, list[list[Timed]]] = {name: [] for name in commands}
    for _ in range(ROUNDS):
        this_round: dict[str, list[Timed]] = {name: [] for name in commands}
        for _ in range(RUNS_PER_ROUND):
            for name, (args, env) in commands.items():
                this_round[name].append(_run(args, env))
        for name, timed in this_round.items():
            rounds[name].append(timed)
    return rounds


def _figure(rounds: list[list[Timed]]) -> dict[str, Any]:
    medians = [statistics.median(t.seconds for t in r) * 1000 for r in rounds]
    return {
        "median_ms": round(statistics.median(medians), 1),
        "round_medians_ms": [round(m, 1) for m in medians],
        "spread_ms": round(max(medians) - min(medians), 1),
        "peak_rss_mb": round(max(t.peak_rss_kb for r in rounds for t in r) / 1024, 1),
        "cpu_median_ms": round(statistics.median(t.cpu_seconds for r in rounds for t in r) * 1000, 1),
    }


def _ratio_per_round(a: list[list[Timed]], b: list[list[Timed]]) -> list[float]:
    return [
        round(statistics.median(t.seconds for t in ra) / statistics.median(t.seconds for t in rb), 3)
        for ra, rb in zip(a, b, strict=True)
    ]


def _verdict(ok: bool, cause: str) -> str:
    return "met" if ok else f"MISSED ({cause})"


def run() -> dict[str, object]:
    llm_exe = _llm_executable()
    pa = _pa_command()
    delay_ms = 0.0

    pa_requests = [0]

    def respond(request: Any) -> Reply:
        if request.api_key != PA_KEY:  # llm: plain text
            return Reply(text=ANSWER, chunk_size=12, delay_before_ms=delay_ms)
        pa_requests[0] += 1
        text = json.dumps({"thought": "", "tool_calls": [], "answer": ANSWER})  # pa's prompts ask for JSON
        return Reply(text=text, chunk_size=12, delay_before_ms=delay_ms)

    result: dict[str, Any] = {"load_before": os.getloadavg()}
    with FakeLLM() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.script_fn(respond)
        pa_env, llm_env = _envs(fake, Path(tmp))
        _run([*pa, "ask", "warm up"], pa_env)  # the database exists and is migrated, as on any later day
        _run([llm_exe, "-m", "fake", "warm up"], llm_env)
        help_rounds = _interleaved({"pa": ([*pa, "--help"], pa_env), "llm": ([llm_exe, "--help"], llm_env)})
        result["help"] = {
            "pa --help": _figure(help_rounds["pa"]),
            "llm --help": _figure(help_rounds["llm"]),
            "ratio_per_round": _ratio_per_round(help_rounds["pa"], help_rounds["llm"]),
        }
        for delay_ms in (0.0, float(SLOW_FIRST_BYTE_MS)):
            pa_requests[0] = 0
            rounds = _interleaved(
                {"pa": ([*pa, "ask", "ping"], pa_env), "llm": ([llm_exe, "-m", "fake", "ping"], llm_env)}
            )
            result[f"first_byte_{delay_ms:g}_ms"] = {
                "pa ask": _figure(rounds["pa"]),
                "llm": _figure(rounds["llm"]),
                "ratio_per_round": _ratio_per_round(rounds["pa"], rounds["llm"]),
                # 1.0: every question was one request (a request sent ahead and not adopted makes two)
                "pa_requests_per_question": pa_requests[0] / (ROUNDS * RUNS_PER_ROUND),
            }
        # The first question of a configuration has no template yet: its request waits for BAML.
        cache = Path(pa_env["PA_HOME"]) / "cache" / "request-ahead.json"
        cold: list[Timed] = []
        for _ in range(RUNS_PER_ROUND):
            cache.unlink(missing_ok=True)
            cold.append(_run([*pa, "ask", "ping"], pa_env))
        result["first_question_800_ms"] = _figure([cold])
    result["load_after"] = os.getloadavg()
    _print(result)
    return result


def _print(result: dict[str, Any]) -> None:
    print(
        f"   load average before {result['load_before'][0]:.2f}, after {result['load_after'][0]:.2f} (2 cores)"
    )
    for key in ("first_byte_0_ms", f"first_byte_{SLOW_FIRST_BYTE_MS}_ms"):
        figures = result[key]
        pa, llm = figures["pa ask"], figures["llm"]
        print(
            f"   {key.replace('_', ' ')}: pa ask {pa['median_ms']} ms (round medians {pa['round_medians_ms']}, "
            f"spread {pa['spread_ms']}), llm {llm['median_ms']} ms (round medians {llm['round_medians_ms']}, "
            f"spread {llm['spread_ms']}); ratio per round {figures['ratio_per_round']}; "
            f"CPU pa {pa['cpu_median_ms']} ms, llm {llm['cpu_median_ms']} ms; "
            f"pa's requests per question {figures['pa_requests_per_question']:.2f}"
        )
    first = result["first_question_800_ms"]
    print(
        f"   the first question of a configuration (no template yet, {SLOW_FIRST_BYTE_MS} ms first byte): "
        f"pa ask {first['median_ms']} ms, {first['median_ms'] - SLOW_FIRST_BYTE_MS:.0f} ms added (reported, not a target)"
    )
    fast, slow = result["first_byte_0_ms"], result[f"first_byte_{SLOW_FIRST_BYTE_MS}_ms"]
    help_ = result["help"]
    ratio = statistics.median(fast["ratio_per_round"])
    added = slow["pa ask"]["median_ms"] - SLOW_FIRST_BYTE_MS
    overlap = slow["pa ask"]["median_ms"] - fast["pa ask"]["median_ms"]
    rss = max(fast["pa ask"]["peak_rss_mb"], slow["pa ask"]["peak_rss_mb"])
    help_ratio = statistics.median(help_["ratio_per_round"])
    print(
        f"   target pa ask / llm at zero latency <= 0.5x: {ratio:.2f}x: "
        + _verdict(
            ratio <= 0.5,
            "pa's start-up CPU before the request: Typer, pydantic and the settings, the tool modules and"
            " their argument schemas for the catalog, the BAML client, httpcore",
        )
    )
    print(
        f"   target time pa adds to an {SLOW_FIRST_BYTE_MS} ms first byte <= 100 ms: {added:.0f} ms "
        f"(and {overlap:.0f} ms more than against the zero-latency model): "
        + _verdict(
            added <= 100,
            "Python's start and the standard library the request sent ahead needs (sqlite3, socket,"
            " json) before it goes out; the reply's last parse, the answer's write and the exit after it",
        )
    )
    print(
        f"   target pa ask peak RSS <= 60 MB: {rss} MB (llm {fast['llm']['peak_rss_mb']} MB): "
        + _verdict(
            rss <= 60,
            "BAML: its native library (12 MB) and runtime with the parsed functions (18 MB); pydantic (12 MB)",
        )
    )
    print(
        f"   target pa --help / llm --help <= 0.15x: {help_ratio:.2f}x "
        f"({help_['pa --help']['median_ms']} vs {help_['llm --help']['median_ms']} ms): "
        + _verdict(help_ratio <= 0.15, "pa --help imports more than Typer")
    )


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
