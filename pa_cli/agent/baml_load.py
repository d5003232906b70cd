"""Loading the generated BAML client: its logging off, and no trace flush at exit with nowhere to send it.

BAML registers ``BamlRuntime.flush`` with ``atexit`` when its client loads. The flush sends trace
events to Boundary Studio (only when ``BOUNDARY_API_KEY`` is set: pa never sets it, since prompts hold
mail) and otherwise still waits 50 ms, measured on every run: 50 ms at the end of each `pa ask`. So the
registration is held back unless that key is set or PA_DEBUG=1 asks for BAML's own diagnostics.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

_CLIENT = "pa_cli.baml_client"


def _is_trace_flush(function: Callable[..., Any]) -> bool:
    owner = getattr(function, "__self__", None)
    return getattr(function, "__name__", "") == "flush" and type(owner).__name__ == "BamlRuntime"


@contextlib.contextmanager
def _flush_held_back(keep: bool) -> Iterator[None]:
    """While the client loads, BAML's exit flush is not registered (unless ``keep``)."""
    register = atexit.register

    def register_unless_flush(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
        if not keep and _is_trace_flush(function):
            return function
        return register(function, *args, **kwargs)

    atexit.register = register_unless_flush  # type: ignore[assignment]
    try:
        yield
    finally:
        atexit.register = register


def load_baml() -> Any:
    """Import the generated client with BAML's logging off (unless PA_DEBUG=1)."""
    debug = os.environ.get("PA_DEBUG") == "1"
    if not debug:
        os.environ["BAML_LOG"] = "off"  # read when baml_py loads
    from baml_py.logging import set_log_level

    if _CLIENT not in sys.modules:
        with _flush_held_back(keep=debug or bool(os.environ.get("BOUNDARY_API_KEY"))):
            from pa_cli import baml_client  # noqa: F401
    if not debug:
        set_log_level("OFF")  # in case baml_py was loaded before
    return sys.modules[_CLIENT]
