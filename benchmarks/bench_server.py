"""`pa serve` under load: concurrent SSE streams against a scripted LLM, and GET .../tools per second.

A real `pa serve` (subprocess, loopback) talks to the scripted LLM server (in this
process, on its own thread; the HTTP clients run here too, on the same 2 cores). Each
stream is a different device (its own token) asking one question; the LLM streams the
answer at a fixed *pace*: so many characters every so many ms. For every `token` event a
client receives, the latency is the time from the moment the LLM wrote the chunk
holding the event's last character to the moment the event arrived. That includes
BAML's partial-result coalescing and the database write of each event, so it is
measured for one stream alone (the baseline, at the same pace) and the *added*
latency (p50/p99 minus the baseline's) is what is reported under load.

- **held** (the target, run REPEATS times): STREAMS streams open over RAMP_S seconds (devices arrive; they
  do not all press enter in the same millisecond), each answer long enough that all of
  them are open together for several seconds. Target: every stream gets every token,
  and the tokens sent while all STREAMS were open have added p99 < 50 ms.
- **pace**: the target runs at GEMINI_PACE, 40 characters (about 10 tokens) every
  200 ms, 50 tokens/s per stream. FINE_PACE sends the same text rate in 8-character
  chunks every 40 ms, five times the chunks, each read, journaled and sent on the event
  loop (partial replies are parsed at most every 50 ms per stream). It is issue 17's
  per-token target (2 workers), printed with the burst below.
- **burst**: STREAMS streams started in the same instant with a short answer: the
  worst case, where the set-up of 200 turns (auth, session, history, the BAML request)
  competes with the first streams' tokens.

Issue 17's two targets, REPEATS runs each with 1 and 2 workers, printed "met" or "MISSED (cause)":
the fine pace at STREAMS streams, added p99 per token <= 50 ms; the burst, added p99 to the first
token (each stream's time from its POST to its first token event, minus that of one stream alone)
<= 300 ms. The targets are judged with 2 workers; the 1-worker figures are reported beside them.

GET .../tools is timed at concurrency 1, 8 and 32, with the server's CPU time per request.

Run: `uv run python -m benchmarks.bench_server` (or `python -m benchmarks bench_server`).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STREAMS = 200
SWEEP = (25, 50, 100, STREAMS)
RAMP_S = 5.0
REPEATS = 3
TOOLS_REQUESTS = 2000
TOOLS_CONCURRENCY = (1, 8, 32)
TARGET_ADDED_P99_MS = 50.0
API = "/api/v1/personal-assistant"
ANSWER = (
    "Here is a plain answer that is long enough to be streamed in many small pieces, "
    "so that every stream carries a few dozen token events from the first word to the last one."
)


def _thinking(answer: str) -> str:
    return json.dumps({"thought": "ok", "tool_calls": [], "answer": answer})


PREFIX = _thinking(ANSWER).index(ANSWER)
#: About 14 s at 200 characters/s: streams opened over RAMP_S overlap for several seconds.
LONG_ANSWER = " ".join([ANSWER] * 16)


@dataclass(frozen=True)
class Pace:
    chunk: int  # characters per LLM chunk
    every_ms: int

    def __str__(self) -> str:
        return f"{self.chunk} chars every {self.every_ms} ms"


GEMINI_PACE = Pace(40, 200)
FINE_PACE = Pace(8, 40)


@dataclass
class Stream:
    started: float = 0.0
    events: list[tuple[float, int]] = field(default_factory=list)  # (arrival, answer length so far)
    text: str = ""
    done: bool = False
    chunks_sent_at: list[float] = field(default_factory=list)  # from the scripted LLM
    chunk: int = GEMINI_PACE.chunk


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(latencies_s: list[float]) -> dict[str, float]:
    ms = [x * 1000 for x in latencies_s]
    return {
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(_percentile(ms, 0.95), 1),
        "p99_ms": round(_percentile(ms, 0.99), 1),
        "max_ms": round(max(ms), 1),
        "events": len(ms),
    }


@contextmanager
def _server(
    home: Path, llm_env: dict[str, str], *args: str
) -> Iterator[tuple[str, dict[str, str], list[int]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PA_", "BAML_"))}
    env.update(llm_env)
    env.update({"PA_HOME": str(home), "PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "benchmark"})
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[llm]\nrequests_per_minute = 100000\nmax_retries = 0\n", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "pa_cli", "serve", "--port", "0", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    base_url = ""
    for line in process.stdout:
        match = re.search(r"pa serve: listening on (http://\S+)", line)
        if match:
            base_url = match.group(1)
            break
    log = home / "server.log"
    threading.Thread(target=_drain, args=(process.stdout, log), daemon=True).start()
    try:
        if not base_url:
            raise RuntimeError("pa serve did not start")
        import httpx

        for _ in range(200):
            try:
                if httpx.get(base_url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield base_url, env, [process.pid, *_children(process.pid)]
    finally:
        process.terminate()
        process.wait(30)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found += [int(c) for c in children]
    return found + [g for c in found for g in _children(c)]


def _drain(stream: Any, log: Path) -> None:
    with log.open("w", encoding="utf-8") as out:
        for line in stream:
            out.write(line)


def _tokens(env: dict[str, str], count: int) -> list[str]:
    from pa_cli.config import load_settings
    from pa_cli.secrets import open_secret_store
    from pa_cli.server.auth import issue_token
    from pa_cli.store import open_store

    settings = load_settings(environ=env)
    secrets = open_secret_store(settings.app_paths, env)
    with open_store(settings) as store:
        return [issue_token(settings, store, secrets, f"bench-{n}").token for n in range(count)]


async def _one_stream(
    client: Any, base_url: str, token: str, number: int, stream: Stream, delay: float
) -> None:
    from httpx_sse import aconnect_sse

    await asyncio.sleep(delay)
    stream.started = time.monotonic()
    headers = {"Authorization": f"Bearer {token}"}
    body = {"message": f"stream {number}: tell me something"}
    async with aconnect_sse(
        client, "POST", base_url + f"{API}/chat/stream", json=body, headers=headers
    ) as sse:
        async for event in sse.aiter_sse():
            if event.event == "token":
                stream.text += json.loads(event.data)["text"]
                stream.events.append((time.monotonic(), len(stream.text)))
            elif event.event == "done":
                stream.done = True


async def _streams(base_url: str, tokens: list[str], ramp_s: float) -> list[Stream]:
    import httpx

    limits = httpx.Limits(max_connections=len(tokens) + 10, max_keepalive_connections=len(tokens) + 10)
    streams = [Stream() for _ in tokens]
    spacing = ramp_s / len(tokens)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        await asyncio.gather(
            *(_one_stream(client, base_url, t, n, streams[n], n * spacing) for n, t in enumerate(tokens))
        )
    return streams


def _latencies(streams: list[Stream], window: tuple[float, float] | None = None) -> list[float]:
    """Per token event: arrival minus when the LLM wrote the chunk with its last character."""
    latencies = []
    for stream in streams:
        for arrival, length in stream.events:
            if window is not None and not window[0] <= arrival <= window[1]:
                continue
            chunk = (PREFIX + length - 1) // stream.chunk
            latencies.append(arrival - stream.chunks_sent_at[chunk])
    return latencies


def _held_window(streams: list[Stream]) -> tuple[float, float]:
    """From the last stream's first token to the first stream's last one: all of them open."""
    return max(s.events[0][0] for s in streams), min(s.events[-1][0] for s in streams)


def _measure_streams(
    count: int,
    base_url: str,
    env: dict[str, str],
    llm: Any,
    *,
    pace: Pace = GEMINI_PACE,
    answer: str = ANSWER,
    ramp_s: float = 0.0,
) -> dict[str, Any]:
    requests: dict[int, Any] = {}
    tokens = _tokens(env, count)
    llm.reset()

    def respond(request: Any) -> Any:
        from pa_cli.testing.fake_llm import Reply

        match = re.search(r"stream (\d+):", request.prompt_text)
        if match:
            requests[int(match.group(1))] = request
        return Reply(text=_thinking(answer), chunk_size=pace.chunk, delay_between_chunks_ms=pace.every_ms)

    llm.script_fn(respond)
    gc.collect()
    gc.disable()  # this process is the instrument: its own collections would count as server latency
    try:
        started = time.monotonic()
        streams = asyncio.run(_streams(base_url, tokens, ramp_s))
        elapsed = time.monotonic() - started
    finally:
        gc.enable()
    for number, stream in enumerate(streams):
        stream.chunks_sent_at = requests[number].chunks_sent_at
        stream.chunk = pace.chunk
    complete = sum(1 for s in streams if s.done and s.text == answer)
    result: dict[str, Any] = {
        "streams": count,
        "pace": str(pace),
        "ramp_s": ramp_s,
        "complete_streams": complete,
        "token_events": sum(len(s.events) for s in streams),
        "wall_s": round(elapsed, 2),
        "latency": _summary(_latencies(streams)),
    }
    first = [s.events[0][0] - s.started for s in streams if s.events]
    if first:
        result["first_token"] = _summary(first)
    if ramp_s > 0 and complete == count:
        window = _held_window(streams)
        result["held_s"] = round(max(0.0, window[1] - window[0]), 2)
        held = _latencies(streams, window)
        if held:
            result["latency_while_all_open"] = _summary(held)
    return result


async def _hammer_tools(base_url: str, token: str, total: int, concurrency: int) -> tuple[float, list[float]]:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    remaining = [total]

    async def worker(client: httpx.AsyncClient) -> None:
        while remaining[0] > 0:
            remaining[0] -= 1
            started = time.perf_counter()
            response = await client.get(base_url + f"{API}/tools", headers=headers)
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await client.get(base_url + f"{API}/tools", headers=headers)  # warm up
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return total / elapsed, latencies


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _measure_tools(base_url: str, env: dict[str, str], pids: list[int]) -> dict[str, Any]:
    [token] = _tokens(env, 1)
    result: dict[str, Any] = {}
    for concurrency in TOOLS_CONCURRENCY:
        cpu_before = _cpu_seconds(pids)
        rate, latencies = asyncio.run(_hammer_tools(base_url, token, TOOLS_REQUESTS, concurrency))
        cpu_ms = (_cpu_seconds(pids) - cpu_before) * 1000 / (TOOLS_REQUESTS + 1)
        result[f"concurrency_{concurrency}"] = {
            "requests_per_s": round(rate, 1),
            "server_cpu_ms_per_request": round(cpu_ms, 2),
            "latency": _summary(latencies),
        }
    result["best_requests_per_s"] = max(v["requests_per_s"] for v in result.values())
    return result


def _held(
    count: int, base_url: str, env: dict[str, str], llm: Any, pace: Pace = GEMINI_PACE
) -> dict[str, Any]:
    ramp = RAMP_S * count / STREAMS
    return _measure_streams(count, base_url, env, llm, pace=pace, answer=LONG_ANSWER, ramp_s=ramp)


def _baseline(base_url: str, env: dict[str, str], llm: Any, pace: Pace) -> dict[str, Any]:
    return _measure_streams(1, base_url, env, llm, pace=pace, answer=LONG_ANSWER)


def _added(result: dict[str, Any], baseline: dict[str, Any]) -> None:
    measured = result.get("latency_while_all_open", result["latency"])
    base = baseline["latency"]
    result["added_p50_ms"] = round(measured["p50_ms"] - base["p50_ms"], 1)
    result["added_p99_ms"] = round(measured["p99_ms"] - base["p99_ms"], 1)
    if "first_token" in result and "first_token" in baseline:
        first, base_first = result["first_token"], baseline["first_token"]
        result["added_first_token_p99_ms"] = round(first["p99_ms"] - base_first["p50_ms"], 1)


def _report(key: str, value: dict[str, Any]) -> None:
    measured = value.get("latency_while_all_open", value["latency"])
    where = (
        f"while all {value['streams']} were open ({value.get('held_s', 0)} s, {measured['events']} events)"
        if "latency_while_all_open" in value
        else "over the whole run"
    )
    whole = value["latency"]
    target = f" (target < {TARGET_ADDED_P99_MS:g})" if key.startswith("target_") else ""
    print(
        f"   {key}: {value['complete_streams']}/{value['streams']} complete with every token "
        f"({value['token_events']} token events, {value['pace']}, opened over {value['ramp_s']:g} s); "
        f"added p50/p99 {value['added_p50_ms']}/{value['added_p99_ms']} ms {where}{target}; "
        f"whole run p50/p99 {whole['p50_ms']}/{whole['p99_ms']} ms"
    )


def _repeated(base_url: str, env: dict[str, str], llm: Any, baseline: dict[str, Any]) -> dict[str, Any]:
    """The target measurement, REPEATS times (a shared 2-core machine is noisy): each run and the median."""
    runs = []
    for _ in range(REPEATS):
        run = _held(STREAMS, base_url, env, llm)
        _added(run, baseline)
        runs.append(run)
    return {
        "runs": runs,
        "median_added_p99_ms": statistics.median(r["added_p99_ms"] for r in runs),
        "all_complete": all(r["complete_streams"] == STREAMS for r in runs),
    }


@dataclass(frozen=True)
class Target:
    """One of issue 17's server targets: measured REPEATS times, judged on the median of the runs."""

    key: str  # the figure judged: "added_p99_ms" (per token) or "added_first_token_p99_ms"
    limit_ms: float
    what: str
    cause: str  # what a miss is most likely due to, printed with it


FINE_PACE_TARGET = Target(
    "added_p99_ms",
    50.0,
    f"{STREAMS} streams at 8 chars/40 ms, added p99 per token",
    "per-chunk CPU on the event loop: the partial parse (at most every 50 ms per stream, ~0.15-0.3 ms),"
    " the event journal's write and the SSE write, 5x the chunks of GEMINI_PACE",
)
BURST_TARGET = Target(
    "added_first_token_p99_ms",
    300.0,
    f"{STREAMS} turns started in the same second, added p99 to the first token",
    "per-turn set-up (auth, the SQLite writes of the turn's start, BAML rendering the request, the final"
    " parse against the whole catalog) competes with the first streams' tokens",
)


def _target_runs(measure: Any, baseline: dict[str, Any], target: Target) -> dict[str, Any]:
    runs = []
    for _ in range(REPEATS):
        one = measure()
        _added(one, baseline)
        runs.append(one)
    values = [r.get(target.key, float("inf")) for r in runs]
    return {
        "what": target.what,
        "runs": runs,
        "values_ms": values,
        "median_ms": statistics.median(values),
        "spread_ms": round(max(values) - min(values), 1),
        "all_complete": all(r["complete_streams"] == r["streams"] for r in runs),
        "limit_ms": target.limit_ms,
        "cause": target.cause,
    }


def _print_target(name: str, value: dict[str, Any], judged: bool) -> None:
    ok = value["all_complete"] and value["median_ms"] <= value["limit_ms"]
    cause = value["cause"] if value["all_complete"] else "streams did not all complete"
    verdict = ("met" if ok else f"MISSED ({cause})") if judged else "reported (the target is for 2 workers)"
    print(
        f"   {name}: {value['what']}: median {value['median_ms']} ms over {REPEATS} runs "
        f"{value['values_ms']} (spread {value['spread_ms']} ms), target <= {value['limit_ms']:g} ms: {verdict}"
    )


def _issue_targets(base_url: str, env: dict[str, str], llm: Any, baselines: dict[str, Any]) -> dict[str, Any]:
    """The two targets of issue 17, REPEATS runs each."""
    fine = _target_runs(
        lambda: _held(STREAMS, base_url, env, llm, FINE_PACE), baselines[str(FINE_PACE)], FINE_PACE_TARGET
    )
    burst = _target_runs(
        lambda: _measure_streams(STREAMS, base_url, env, llm), baselines["short"], BURST_TARGET
    )
    return {"fine_pace": fine, "burst": burst}


def run() -> dict[str, object]:
    from pa_cli.testing.fake_llm import FakeLLM

    result: dict[str, Any] = {}
    baselines: dict[str, dict[str, Any]] = {}
    with FakeLLM() as llm, tempfile.TemporaryDirectory() as tmp:
        with _server(Path(tmp) / "one", llm.env()) as (base_url, env, pids):
            _measure_streams(3, base_url, env, llm)  # warm up (BAML, SQLite, connections)
            for pace in (GEMINI_PACE, FINE_PACE):
                baselines[str(pace)] = _baseline(base_url, env, llm, pace)
            baselines["short"] = _measure_streams(1, base_url, env, llm)  # time to first token, alone
            for count in SWEEP[:-1]:
                result[f"held_1_worker_{count}_streams"] = _held(count, base_url, env, llm)
            result[f"target_1_worker_{STREAMS}_streams"] = _repeated(
                base_url, env, llm, baselines[str(GEMINI_PACE)]
            )
            result[f"held_1_worker_{STREAMS}_streams_fine_pace"] = _held(
                STREAMS, base_url, env, llm, FINE_PACE
            )
            result[f"burst_1_worker_{STREAMS}_streams"] = _measure_streams(STREAMS, base_url, env, llm)
            result["tools_1_worker"] = _measure_tools(base_url, env, pids)
            targets = {"1 worker": _issue_targets(base_url, env, llm, baselines)}
        with _server(Path(tmp) / "two", llm.env(), "--workers", "2") as (base_url, env, pids):
            time.sleep(1)  # both workers up
            _measure_streams(4, base_url, env, llm)
            result[f"target_2_workers_{STREAMS}_streams"] = _repeated(
                base_url, env, llm, baselines[str(GEMINI_PACE)]
            )
            result[f"held_2_workers_{STREAMS}_streams_fine_pace"] = _held(
                STREAMS, base_url, env, llm, FINE_PACE
            )
            result[f"burst_2_workers_{STREAMS}_streams"] = _measure_streams(STREAMS, base_url, env, llm)
            result["tools_2_workers"] = _measure_tools(base_url, env, sorted({*pids, *_children(pids[0])}))
            targets["2 workers"] = _issue_targets(base_url, env, llm, baselines)
    for pace_name, baseline in baselines.items():
        latency = baseline["latency"]
        print(
            f"   one stream alone at {pace_name}: per-token latency p50/p99 {latency['p50_ms']}/{latency['p99_ms']} ms"
        )
    for key, value in result.items():
        if key.startswith(("held_", "burst_")):
            _added(value, baselines[value["pace"]])
            _report(key, value)
        elif key.startswith("target_"):
            for number, run in enumerate(value["runs"], 1):
                _report(f"{key} (run {number}/{REPEATS})", run)
            verdict = (
                "met"
                if value["all_complete"] and value["median_added_p99_ms"] < TARGET_ADDED_P99_MS
                else "MISSED"
            )
            print(f"   {key}: median added p99 {value['median_added_p99_ms']} ms: target {verdict}")
    for workers, measured in targets.items():
        for name, value in measured.items():
            _print_target(
                f"issue 17 target, {workers}, {name.replace('_', ' ')}", value, workers == "2 workers"
            )
    result["issue_targets"] = targets
    result["baselines"] = baselines
    one, two = result["tools_1_worker"], result["tools_2_workers"]
    print(
        f"   GET .../tools: best {one['best_requests_per_s']} req/s with 1 worker, "
        f"{two['best_requests_per_s']} req/s with 2 (client in this process, same 2 cores); "
        f"server CPU {one['concurrency_8']['server_cpu_ms_per_request']} ms per request"
    )
    return result


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
