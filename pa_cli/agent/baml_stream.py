"""Drive a BAML stream on the caller's event loop: no thread, no polling.

``baml_py.BamlStream`` runs every stream on a new thread with its own event loop (in
asyncio debug mode, which records a stack for every callback), and the consumer polls a
queue every 10 ms. One stream at a time that is harmless; a server holding 200 streams
spent most of its CPU there. The FFI stream underneath has a documented callback API
(``on_event`` for partial results, ``done`` to drive it), and ``done`` can be awaited on
the running loop like any other BAML call, so this module uses it directly: partial
results are handed over with ``call_soon_threadsafe`` (at most one wake-up pending at a
time, newest result wins, as BAML itself coalesces them), and the final result is cast
exactly as the generated client casts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

#: How long a cancelled or failed consumer waits for the aborted request to wind down.
ABORT_GRACE_SECONDS = 5.0
#: Called (once per request, on the loop) as soon as a request is handed to BAML's runtime, which
#: sends it from its own threads: the caller may now do CPU work without delaying the request
#: (``pa ask`` opens its store then). Set per turn in the turn task's context.
on_request_sent: ContextVar[Callable[[], None] | None] = ContextVar("on_request_sent", default=None)


@dataclass(frozen=True)
class StreamParts:
    """What ``baml_py.BamlStream`` wraps: the FFI stream, its two casts and its context."""

    ffi: Any
    partial_cast: Callable[[Any], Any]
    final_cast: Callable[[Any], Any]
    ctx: Any


def stream_parts(stream: Any) -> StreamParts:
    """Take a generated client's ``BamlStream`` apart (its fields are private; baml-py is pinned)."""
    prefix = "_BamlStream__"
    try:
        return StreamParts(
            ffi=getattr(stream, prefix + "ffi_stream"),
            partial_cast=getattr(stream, prefix + "partial_coerce"),
            final_cast=getattr(stream, prefix + "final_coerce"),
            ctx=getattr(stream, prefix + "ctx_manager"),
        )
    except AttributeError as exc:  # a baml-py upgrade renamed them: fail loudly, not slowly
        raise RuntimeError(
            f"baml_py.BamlStream changed shape ({exc}); update pa_cli.agent.baml_stream"
        ) from None


class _Latest:
    """The newest partial result, handed from BAML's threads to the loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.result: Any = None
        self.ready = asyncio.Event()
        self._wake_pending = False

    def offer(self, result: Any) -> None:
        """Called on a BAML runtime thread for every partial result."""
        if result is None or not result.is_ok():
            return
        self.result = result
        if not self._wake_pending:
            self._wake_pending = True
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening
                self.loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        self._wake_pending = False
        self.ready.set()

    def take(self) -> Any:
        result, self.result = self.result, None
        return result


async def drive(
    stream: Any,
    on_partial: Callable[[Any], Awaitable[None]] | None,
    abort: Any,
) -> Any:
    """Run ``stream`` to its end, giving each (coalesced) partial to ``on_partial``; return the final value.

    BAML's own errors (validation, HTTP, abort, timeout) propagate unchanged. If the
    consumer is cancelled or ``on_partial`` fails, the request is aborted and awaited
    (bounded) so no BAML work outlives the call.
    """
    parts = stream_parts(stream)
    latest = _Latest(asyncio.get_running_loop())
    ffi = parts.ffi.on_event(latest.offer if on_partial is not None else None)
    done: asyncio.Future[Any] = asyncio.ensure_future(ffi.done(parts.ctx))
    done.add_done_callback(lambda _: latest.ready.set())
    sys.audit("pa.llm.request_sent")  # for import-order checks (tests/test_import_contracts.py)
    sent = on_request_sent.get()
    if sent is not None:
        sent()
    try:
        while not done.done():
            await latest.ready.wait()
            latest.ready.clear()
            result = latest.take()
            if result is not None and on_partial is not None:
                await on_partial(parts.partial_cast(result))
        return parts.final_cast(done.result())
    except BaseException:
        if not done.done():
            abort.abort()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(done), ABORT_GRACE_SECONDS)
        if done.done() and not done.cancelled():
            done.exception()  # retrieved: no "exception never retrieved" noise
        raise
    finally:
        ffi.on_event(None)  # break the FFI stream <-> callback cycle so both can be collected
