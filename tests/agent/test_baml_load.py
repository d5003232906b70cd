"""Loading BAML registers no trace flush at exit (it waited 50 ms with nowhere to send), unless asked for.

Checked in a fresh interpreter each time (the client loads once per process): a spy in place of
``atexit.register`` records every exit handler that loading the client gets through to it.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import atexit, json, sys
from pa_cli.agent import baml_load
held, kept = [], []
real = atexit.register
def spy(function, *args, **kwargs):
    (held if baml_load._is_trace_flush(function) else kept).append(getattr(function, "__name__", "?"))
    return real(function, *args, **kwargs)
atexit.register = spy  # what baml_load sees as "the" register: it wraps this one
baml_load.load_baml()
print(json.dumps({"flush_registered": held}))
"""


def _flushes_registered(**env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("PA_DEBUG", "BOUNDARY_API_KEY")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    import json

    return list(json.loads(done.stdout.strip().splitlines()[-1])["flush_registered"])


def test_loading_baml_registers_no_exit_flush() -> None:
    assert _flushes_registered() == []


@pytest.mark.parametrize("env", [{"PA_DEBUG": "1"}, {"BOUNDARY_API_KEY": "set-by-the-user"}])
def test_the_exit_flush_stays_when_baml_tracing_is_wanted(env: dict[str, str]) -> None:
    assert _flushes_registered(**env) == ["flush"]
