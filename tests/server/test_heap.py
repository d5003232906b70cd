"""The server's heap settling: a turn's modules loaded up front, the start-up heap frozen, GC spaced out.

Run in a child interpreter: freezing the heap of the test process would change every other test.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pa_cli.server import heap

SCRIPT = """
import gc, json, sys
from pa_cli.server.heap import preload_turn_modules, settle_heap
before = {"baml": "pa_cli.baml_client" in sys.modules, "threshold": gc.get_threshold()}
preload_turn_modules()
settle_heap()
print(json.dumps({
    "before": before,
    "loaded": [m for m in ("pa_cli.baml_client", "pa_cli.agent.flow", "pa_cli.server.sse") if m in sys.modules],
    "frozen": gc.get_freeze_count(),
    "threshold": gc.get_threshold(),
    "enabled": gc.isenabled(),
}))
"""


def test_settling_loads_turn_modules_freezes_the_heap_and_keeps_gc_on() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    report = json.loads(done.stdout)

    assert report["before"] == {"baml": False, "threshold": [700, 10, 10]}
    assert report["loaded"] == ["pa_cli.baml_client", "pa_cli.agent.flow", "pa_cli.server.sse"]
    assert report["frozen"] > 10_000  # modules, classes and schemas: never scanned again
    assert report["threshold"] == [heap.YOUNG_THRESHOLD, heap.MIDDLE_THRESHOLD, heap.OLD_THRESHOLD]
    assert report["enabled"] is True  # cyclic garbage is still collected


def test_pa_serve_settles_its_heap_but_an_embedded_app_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    from pa_cli.config import load_settings
    from pa_cli.server import app, runner
    from pa_cli.server.runtime import RuntimeOptions

    built: list[RuntimeOptions | None] = []
    monkeypatch.setattr(app, "create_app", lambda _settings, options=None: built.append(options))

    runner._single_app(load_settings())  # pa serve, one process
    app.create_app_from_environment()  # each of pa serve --workers N

    assert [o.settle_heap if o else None for o in built] == [True, True]
    assert RuntimeOptions().settle_heap is False
