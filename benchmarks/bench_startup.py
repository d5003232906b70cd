"""`pa --help` cold start: wall time (median of 10 runs, min/max) and peak RSS."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

from benchmarks.stats import summarize_ms

RUNS = 10


def _pa_command() -> list[str]:
    exe = shutil.which("pa", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "pa_cli"]


def _time_command(args: list[str], env: dict[str, str]) -> tuple[list[float], float]:
    samples = []
    peak_kb = 0.0
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - started)
        peak_kb = max(peak_kb, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    return samples, peak_kb


def run() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PA_HOME": home}
        cmd = _pa_command()
        subprocess.run([*cmd, "--help"], env=env, stdout=subprocess.DEVNULL, check=True)  # warm the OS cache
        help_samples, peak_kb = _time_command([*cmd, "--help"], env)
        config_samples, _ = _time_command([*cmd, "config", "show"], env)
    result: dict[str, object] = {
        "pa --help": summarize_ms(help_samples),
        "pa config show": summarize_ms(config_samples),
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }
    h = result["pa --help"]
    assert isinstance(h, dict)
    print(
        f"   pa --help: median {h['median_ms']} ms (min {h['min_ms']}, max {h['max_ms']}), "
        f"peak RSS {result['peak_rss_mb']} MB; target median < 250 ms"
    )
    return result


if __name__ == "__main__":
    run()
