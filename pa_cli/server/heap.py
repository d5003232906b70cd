"""Keep CPython's full garbage collections off a long-running server's token path.

Measured with 200 streams held on 2 cores: full (generation 2) collections paused the
event loop for 70-170 ms each, and each pause delayed every token in flight, which was
the whole p99 of the added latency. What they scanned was mostly what lives as long as
the process: modules, classes, schemas, the BAML client. So the server loads what a turn
needs before it takes requests, moves everything alive then into the permanent
generation (``gc.freeze``, which collections never scan), and collects the young
generation less often, in fewer, larger passes. Cyclic garbage is still collected.
"""

from __future__ import annotations

import gc
import importlib

#: Allocations between young collections (CPython's default is 700).
YOUNG_THRESHOLD = 50_000
#: Young collections per middle one, and middle ones per full one (defaults 10 and 10).
MIDDLE_THRESHOLD = 20
OLD_THRESHOLD = 10

#: Imported on a turn's first use otherwise; loaded up front so they are frozen with the rest.
TURN_MODULES = (
    "pa_cli.agent.context",
    "pa_cli.agent.flow",
    "pa_cli.agent.llm",
    "pa_cli.agent.llm_catalog",
    "pa_cli.agent.resume",
    "pa_cli.agent.tool_step",
    "pa_cli.server.sse",
    "pa_cli.server.turns",
)


def preload_turn_modules() -> None:
    from pa_cli.agent.llm import load_baml

    for name in TURN_MODULES:
        importlib.import_module(name)
    load_baml()


def settle_heap() -> None:
    """Collect once, freeze what survives, and space the collections out (call after start-up)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
