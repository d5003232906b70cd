"""Driving BAML's FFI stream on the running loop: partials, the final value, failures, cancellation.

Unit tests over a stand-in FFI stream (BAML's Rust side calls ``on_event`` from its own
threads, which the stand-in does too); the real streams run in test_llm.py and the
end-to-end tests.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import baml_py
import pytest

from pa_cli.agent.baml_stream import drive, stream_parts


class Result:
    def __init__(self, value: str, ok: bool = True) -> None:
        self.value, self.ok = value, ok

    def is_ok(self) -> bool:
        return self.ok


class FakeFFI:
    """Emits partial results from a thread, then finishes (or fails) ``done``."""

    def __init__(
        self,
        partials: list[Result],
        *,
        final: str = "final",
        gap: float = 0.0,
        error: Exception | None = None,
        hang: bool = False,
    ) -> None:
        self.partials, self.final, self.gap, self.error, self.hang = partials, final, gap, error, hang
        self.callbacks: list[Callable[[Result], None] | None] = []
        self.aborted = threading.Event()

    def on_event(self, callback: Callable[[Result], None] | None) -> FakeFFI:
        self.callbacks.append(callback)
        return self

    async def done(self, _ctx: Any) -> Result:
        callback = self.callbacks[-1]
        loop = asyncio.get_running_loop()
        finished: asyncio.Future[None] = loop.create_future()

        def produce() -> None:
            for result in self.partials:
                if self.aborted.is_set():
                    break
                if callback is not None:
                    callback(result)
                time.sleep(self.gap)
            while self.hang and not self.aborted.is_set():
                time.sleep(0.01)
            loop.call_soon_threadsafe(finished.set_result, None)

        threading.Thread(target=produce, daemon=True).start()
        await finished
        if self.aborted.is_set():
            raise RuntimeError("aborted")
        if self.error is not None:
            raise self.error
        return Result(self.final)


class Abort:
    def __init__(self, ffi: FakeFFI) -> None:
        self.ffi = ffi
        self.calls = 0

    def abort(self) -> None:
        self.calls += 1
        self.ffi.aborted.set()


def stream_of(ffi: FakeFFI) -> Any:
    stream = type("Stream", (), {})()
    stream._BamlStream__ffi_stream = ffi
    stream._BamlStream__partial_coerce = lambda r: f"partial:{r.value}"
    stream._BamlStream__final_coerce = lambda r: f"final:{r.value}"
    stream._BamlStream__ctx_manager = object()
    return stream


async def test_partials_arrive_in_order_and_the_final_value_is_cast() -> None:
    ffi = FakeFFI([Result("a"), Result("bad", ok=False), Result("ab"), Result("abc")], gap=0.02)
    seen: list[str] = []

    async def on_partial(value: str) -> None:
        seen.append(value)

    final = await drive(stream_of(ffi), on_partial, Abort(ffi))

    assert final == "final:final"
    assert seen == ["partial:a", "partial:ab", "partial:abc"]  # failed partial parses are skipped
    assert ffi.callbacks[-1] is None  # the callback is dropped at the end (no reference cycle)


async def test_a_burst_of_partials_is_coalesced_to_the_newest() -> None:
    ffi = FakeFFI([Result(str(n)) for n in range(200)])  # no gap: faster than the loop takes them
    seen: list[str] = []

    async def on_partial(value: str) -> None:
        seen.append(value)
        await asyncio.sleep(0.005)

    await drive(stream_of(ffi), on_partial, Abort(ffi))

    assert len(seen) < 200
    numbers = [int(v.split(":")[1]) for v in seen]
    assert numbers == sorted(numbers)


async def test_an_error_from_the_request_propagates_unchanged() -> None:
    ffi = FakeFFI([Result("a")], error=ValueError("bad reply"))
    abort = Abort(ffi)

    async def on_partial(_value: str) -> None:
        return None

    with pytest.raises(ValueError, match="bad reply"):
        await drive(stream_of(ffi), on_partial, abort)
    assert abort.calls == 0 and ffi.callbacks[-1] is None


async def test_a_failing_consumer_aborts_the_request_and_waits_for_it() -> None:
    ffi = FakeFFI([Result("a"), Result("b")], gap=0.05, hang=True)
    abort = Abort(ffi)

    async def on_partial(_value: str) -> None:
        raise KeyError("consumer broke")

    with pytest.raises(KeyError):
        await drive(stream_of(ffi), on_partial, abort)
    assert abort.calls == 1 and ffi.aborted.is_set()


async def test_cancelling_the_consumer_aborts_the_request() -> None:
    ffi = FakeFFI([Result("a")], hang=True)
    abort = Abort(ffi)
    seen = asyncio.Event()

    async def on_partial(_value: str) -> None:
        seen.set()

    task = asyncio.create_task(drive(stream_of(ffi), on_partial, abort))
    await asyncio.wait_for(seen.wait(), 5)
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task
    assert abort.calls == 1 and ffi.callbacks[-1] is None


def test_the_pinned_baml_stream_still_has_the_parts_we_drive() -> None:
    ffi = FakeFFI([])
    stream = baml_py.BamlStream(ffi, lambda r: r, lambda r: r, object())  # type: ignore[arg-type]

    parts = stream_parts(stream)

    assert parts.ffi is ffi and callable(parts.partial_cast) and callable(parts.final_cast)


def test_a_changed_baml_stream_fails_loudly() -> None:
    with pytest.raises(RuntimeError, match="changed shape"):
        stream_parts(object())
