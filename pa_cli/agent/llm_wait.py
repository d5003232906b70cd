"""Waiting for the LLM's first reply, and naming a dead endpoint instead of waiting it out.

A server that accepts the connection and never answers would hold a request long, and
again on every retry. ``StreamWatch`` aborts the request when nothing arrived within
``llm.first_byte_timeout_seconds`` of it; before that, after
``PROBE_AFTER_SECONDS`` of silence, it probes the endpoint (``llm_probe``): a slow model
behind a live server keeps its full timeout, a dead endpoint is reported within seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any

from pa_cli.agent.llm_faults import Transient
from pa_cli.agent.llm_probe import Probe, probe
from pa_cli.agent.llm_types import LLMError

#: Silence before the endpoint is probed, and how long the probe itself may take.
#: Together they bound how long a black-holed endpoint holds a turn (about 6 s).
PROBE_AFTER_SECONDS = 3.0
PROBE_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class Timeouts:
    """The three waits, in seconds: each has its own setting and its own message."""

    connect: float
    first_byte: float
    idle: float


class StreamWatch:
    """Watches one streamed request: aborts it with no first reply in time, or when a probe finds the endpoint dead.

    ``tick()`` is life: ``llm_http`` calls it for every piece of the response body, SSE
    keep-alive comments included. The idle wait between pieces is ``llm_http``'s own.
    """

    def __init__(self, abort: Any, url: str, timeouts: Timeouts) -> None:
        self.timed_out = False
        self.dead: Probe | None = None
        self.timeouts = timeouts
        self.started = time.monotonic()
        self.alive_at: float | None = None
        self._abort = abort
        self._url = url
        self._task: asyncio.Task[None] | None = asyncio.get_running_loop().create_task(self._watch())

    def tick(self, *_: Any) -> None:
        """Something arrived (called from BAML's threads too: one assignment, no locking needed)."""
        if self.alive_at is None:
            self.alive_at = time.monotonic()

    async def _watch(self) -> None:
        timeout = self.timeouts.first_byte
        if timeout > PROBE_AFTER_SECONDS + PROBE_TIMEOUT_SECONDS:
            await asyncio.sleep(PROBE_AFTER_SECONDS)
            if self.alive_at is not None:
                return
            found = await probe(self._url, PROBE_TIMEOUT_SECONDS)
            if found.dead and self.alive_at is None:
                self.dead = found
                self._abort.abort()
                return
        while self.alive_at is None:
            left = self.started + timeout - time.monotonic()
            if left <= 0:
                self.timed_out = True
                self._abort.abort()
                return
            await asyncio.sleep(min(left, 0.25))

    def timeout_fault(self) -> Transient:
        """Which wait ran out, in words, with the setting that governs it."""
        t = self.timeouts
        if self.timed_out:
            return Transient(
                "timeout",
                f"nothing came back within {t.first_byte:g} s of the request",
                setting="llm.first_byte_timeout_seconds",
            )
        if self.alive_at is not None:
            return Transient(
                "timeout",
                f"the reply stalled: nothing arrived for {t.idle:g} s",
                setting="llm.idle_timeout_seconds",
            )
        if time.monotonic() - self.started < t.connect + 1.0:
            return Transient(
                "timeout",
                f"could not connect within {t.connect:g} s",
                setting="llm.connect_timeout_seconds",
            )
        return Transient(
            "timeout",
            f"the server answered but sent nothing for {t.idle:g} s",
            setting="llm.idle_timeout_seconds",
        )

    def stop(self) -> None:
        self.tick()

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def connection_fault(found: Probe, url: str, source: str) -> Exception:
    """What to do about an endpoint that ``probe`` found unusable: retry, or tell the user now."""
    where = f"{url} ({source})"
    if found.kind in ("refused", "connect_timeout", "unreachable"):
        return Transient("unreachable", f"{found.detail or 'no connection'} at {where}")
    if found.kind == "dns":
        return LLMError(
            "unavailable",
            f"cannot reach the LLM at {where}: {found.detail}",
            hint="check the host name in llm.base_url (or PA_LLM_BASE_URL) and your network",
        )
    if found.kind == "tls":
        return LLMError(
            "unavailable",
            f"cannot reach the LLM at {where}: {found.detail}",
            hint="check the scheme of llm.base_url (https:// or http://) and the server's certificate",
        )
    if found.kind == "silent":
        return LLMError(
            "unavailable",
            f"the LLM at {where} is not answering: {found.detail}",
            hint="check that llm.base_url points at the LLM server's API and that the server is healthy",
        )
    return Transient("unavailable", f"no response from {where}")


def unreachable_error(fault: Transient, url: str, source: str, tries: str) -> LLMError:
    """The message after the last retry of a connection that never opened."""
    hint = (
        "is the LLM server running? check llm.base_url (`pa config get llm.base_url`, PA_LLM_BASE_URL)"
        if source == "llm.base_url"
        else "check your network connection"
    )
    return LLMError("unavailable", f"cannot connect to the LLM: {fault.what} ({tries})", hint=hint)
