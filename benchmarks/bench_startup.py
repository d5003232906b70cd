"""`pa --help` cold start: wall time (median of 10 runs, min/max) and peak RSS; and `pa tools list`
on a database at head (the light read of the Google grants)."""

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


#: What the unread-routines line costs a command on a TTY: imported and read once, after the CLI loaded.
_NOTICE_PROBE = """
import time
import pa_cli.cli.app
started = time.perf_counter()
from pa_cli.routines.notice import unread_line
line = unread_line()
print((time.perf_counter() - started) * 1000, line is not None)
"""


def _notice_cost(cmd: list[str], env: dict[str, str]) -> list[float]:
    """Seconds the routine notice adds to a TTY command, on a database with a routine (the query runs)."""
    subprocess.run(
        [*cmd, "routine", "add", "Morning", "--at", "weekdays 08:00", "What needs me?"],
        env=env,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    samples = []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", _NOTICE_PROBE], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        samples.append(float(out[0]) / 1000)
    return samples


def run() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PA_HOME": home}
        cmd = _pa_command()
        subprocess.run([*cmd, "--help"], env=env, stdout=subprocess.DEVNULL, check=True)  # warm the OS cache
        help_samples, peak_kb = _time_command([*cmd, "--help"], env)
        config_samples, _ = _time_command([*cmd, "config", "show"], env)
        notice_samples = _notice_cost(cmd, env)  # leaves the database at head, with its local user
        tools_samples, _ = _time_command([*cmd, "tools", "list"], env)
    result: dict[str, object] = {
        "pa --help": summarize_ms(help_samples),
        "pa config show": summarize_ms(config_samples),
        "routine notice (TTY commands)": summarize_ms(notice_samples),
        "pa tools list": summarize_ms(tools_samples),
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }
    h = result["pa --help"]
    assert isinstance(h, dict)
    print(
        f"   pa --help: median {h['median_ms']} ms (min {h['min_ms']}, max {h['max_ms']}), "
        f"peak RSS {result['peak_rss_mb']} MB; target median < 250 ms"
    )
    n = result["routine notice (TTY commands)"]
    assert isinstance(n, dict)
    print(f"   unread-routines line on a TTY command: median {n['median_ms']} ms (max {n['max_ms']}) added")
    t = result["pa tools list"]
    assert isinstance(t, dict)
    print(f"   pa tools list: median {t['median_ms']} ms (min {t['min_ms']}, max {t['max_ms']})")
    return result


if __name__ == "__main__":
    run()
