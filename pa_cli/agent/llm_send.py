"""Sending one rendered request under the first-byte watch, and naming every way it can fail.

``llm_http.exchange`` raises what happened on the wire (a status, no connection, a stall);
here each becomes a fault ``AssistantLLM`` retries (``Transient``) or reports (``LLMError``),
and ``give_up`` words the last one after the retries.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pa_cli.agent.llm_faults import Transient, classify_http, retry_after_seconds
from pa_cli.agent.llm_http import (
    ConnectTimedOut,
    HttpStatus,
    NoConnection,
    Rendered,
    Stalled,
    StreamBroken,
    exchange,
)
from pa_cli.agent.llm_probe import probe
from pa_cli.agent.llm_registry import ClientSpec
from pa_cli.agent.llm_sse import MalformedStream, Reply
from pa_cli.agent.llm_types import LLMError
from pa_cli.agent.llm_wait import (
    PROBE_TIMEOUT_SECONDS,
    StreamWatch,
    Timeouts,
    connection_fault,
    unreachable_error,
)

if TYPE_CHECKING:
    from pa_cli.agent.ahead_http import AheadExchange


class _TaskAbort:
    """What ``StreamWatch`` calls to abort a request: cancels the task that sends and reads it."""

    def __init__(self, task: asyncio.Future[Any]) -> None:
        self._task = task

    def abort(self) -> None:
        self._task.cancel()


async def send_watched(
    rendered: Rendered,
    spec: ClientSpec,
    timeouts: Timeouts,
    on_text: Callable[[str], Awaitable[None]] | None,
    ahead: AheadExchange | None = None,
) -> Reply:
    """Send and read one request, under the first-byte watch; every failure becomes a fault to handle.

    With ``ahead`` (the same request, sent before the event loop existed), its reply is read instead;
    the watch then counts from now, not from when it was sent."""

    def life() -> None:
        watch.tick()

    task = asyncio.ensure_future(
        exchange(
            rendered,
            spec.provider,
            connect_timeout=timeouts.connect,
            idle_timeout=timeouts.idle,
            on_life=life,
            on_text=on_text,
            ahead=ahead,
        )
    )
    # Counts from the request; any byte of the body is life (keep-alive comments too).
    watch = StreamWatch(_TaskAbort(task), spec.url, timeouts)
    try:
        return await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # the caller is cancelled, not the request
        if watch.dead is not None:
            raise connection_fault(watch.dead, spec.url, spec.url_source) from None
        raise watch.timeout_fault() from None
    except HttpStatus as exc:
        raise classify_http(exc.status, spec.url, retry_after_seconds(exc.headers)) from None
    except NoConnection:
        # How did it fail? Ask the socket's own typed errors, never an exception's text.
        found = await probe(spec.url, PROBE_TIMEOUT_SECONDS)
        raise connection_fault(found, spec.url, spec.url_source) from None
    except ConnectTimedOut:
        raise Transient(
            "timeout",
            f"could not connect within {timeouts.connect:g} s",
            setting="llm.connect_timeout_seconds",
        ) from None
    except Stalled:
        raise Transient(
            "timeout",
            f"the reply stalled: nothing arrived for {timeouts.idle:g} s",
            setting="llm.idle_timeout_seconds",
        ) from None
    except StreamBroken:
        raise Transient("unavailable", "the stream ended before the reply was complete") from None
    except MalformedStream as exc:
        raise Transient("unavailable", str(exc)) from None
    finally:
        await watch.aclose()
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


def give_up(spec: ClientSpec, fault: Transient, attempts: int) -> LLMError:
    """The error for the user after the last retry of ``fault``."""
    name = f"the {spec.provider} LLM"
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    if fault.code == "rate_limited":
        wait = f"; it asks to wait {fault.retry_after:.0f} s" if fault.retry_after is not None else ""
        return LLMError(
            "rate_limited",
            f"{name} is refusing requests as too many (HTTP 429, {tries}{wait})",
            hint=(
                f"try again in {max(1.0, fault.retry_after):.0f} s, or lower llm.requests_per_minute"
                if fault.retry_after is not None
                else "wait a minute, or lower llm.requests_per_minute"
            ),
        )
    if fault.code == "unreachable":
        return unreachable_error(fault, spec.url, spec.url_source, tries)
    if fault.code == "timeout":
        setting = fault.setting or "llm.timeout_seconds"
        return LLMError("timeout", f"{name}: {fault.what} ({tries})", hint=f"try again, or raise {setting}")
    return LLMError(
        "unavailable",
        f"{name} at {spec.url} is unavailable: {fault.what} ({tries})",
        hint="try again in a moment; if it keeps failing, check the provider's status page",
    )
