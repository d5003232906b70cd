"""Waiting for the LLM's first reply, and naming a dead endpoint instead of waiting it out.

BAML's own timeouts only start once response headers arrive, so a server that accepts
the connection and never answers would hold a request for the whole
``llm.timeout_seconds`` (60 s by default), and again on every retry. ``FirstReplyGuard``
aborts the request when nothing arrived in time; before that, after
``PROBE_AFTER_SECONDS`` of silence, it probes the endpoint (``llm_probe``): a slow model
behind a live server keeps its full timeout, a dead endpoint is reported within seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from pa_cli.agent.llm_faults import Transient
from pa_cli.agent.llm_probe import Probe, probe
from pa_cli.agent.llm_types import LLMError

#: Silence before the endpoint is probed, and how long the probe itself may take.
#: Together they bound how long a black-holed endpoint holds a turn (about 6 s).
PROBE_AFTER_SECONDS = 3.0
PROBE_TIMEOUT_SECONDS = 3.0


class FirstReplyGuard:
    """Aborts a request with no first partial in ``timeout`` s, or as soon as a probe finds the endpoint dead."""

    def __init__(self, abort: Any, url: str, timeout: float) -> None:
        self.timed_out = False
        self.dead: Probe | None = None
        self._abort = abort
        self._url = url
        self._timeout = timeout
        self._task: asyncio.Task[None] | None = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        if self._timeout > PROBE_AFTER_SECONDS + PROBE_TIMEOUT_SECONDS:
            await asyncio.sleep(PROBE_AFTER_SECONDS)
            found = await probe(self._url, PROBE_TIMEOUT_SECONDS)
            if found.dead:
                self.dead = found
                self._abort.abort()
                return
        await asyncio.sleep(max(0.0, deadline - loop.time()))
        self.timed_out = True
        self._abort.abort()

    def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()

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
