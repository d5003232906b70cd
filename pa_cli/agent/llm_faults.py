"""Fault handling for LLM calls: what to retry, how long to wait, what to tell the user.

BAML raises typed errors (``BamlClientHttpError.status_code``, ``BamlTimeoutError``,
``BamlValidationError``...); they are classified here, never by their message text.
A stream that drops mid-way is not an error to BAML (it parses whatever arrived), so
``stream_finished`` looks for the provider's end-of-reply marker in the recorded events.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Callable
from typing import Any

from pa_cli.agent.llm_types import LLMError, LLMErrorCode

MAX_BACKOFF_SECONDS = 30.0


def backoff_delay(attempt: int, base: float, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with "equal jitter": between half and all of base * 2^(attempt-1)."""
    ceiling = min(MAX_BACKOFF_SECONDS, base * 2.0 ** (attempt - 1))
    return ceiling / 2 + rng() * ceiling / 2


class Transient(Exception):
    """A failure worth retrying after a pause."""

    def __init__(self, code: LLMErrorCode, what: str) -> None:
        super().__init__(what)
        self.code = code
        self.what = what


class Retry(Exception):
    """The reply did not parse: ask again once, with this feedback."""

    def __init__(self, feedback: str) -> None:
        super().__init__(feedback)
        self.feedback = feedback


class Watchdog:
    def __init__(self, abort: Any, seconds: float) -> None:
        self.fired = False
        self._abort = abort
        self._handle: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(seconds, self._fire)

    def _fire(self) -> None:
        self.fired = True
        self._abort.abort()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


def classify_http(status: int) -> Exception:
    if status == 429:
        return Transient("rate_limited", "HTTP 429")
    if status in (401, 403):
        return LLMError(
            "auth",
            f"the LLM provider rejected the API key (HTTP {status})",
            hint="check the key: the provider's *_API_KEY, PA_LLM_API_KEY or `pa config set-secret llm.api_key`",
        )
    if status in (400, 404, 405, 413, 422):
        return LLMError(
            "config",
            f"the LLM provider rejected the request (HTTP {status})",
            hint="check llm.model, llm.base_url and the API key",
        )
    if status == 503:
        return Transient("unavailable", "HTTP 503 or connection refused")
    if 100 <= status < 500 and status != 408:
        return LLMError("unavailable", f"the LLM provider answered with HTTP {status}")
    return Transient("unavailable", f"HTTP {status}" if status >= 100 else "malformed response")


_FINISH_KEYS = ("finish_reason", "finishReason", "stop_reason")


def _has_finish(data: Any, depth: int = 0) -> bool:
    if depth > 4:
        return False
    if isinstance(data, dict):
        if data.get("type") == "message_stop":
            return True
        if any(data.get(key) for key in _FINISH_KEYS):
            return True
        return any(_has_finish(v, depth + 1) for v in data.values() if isinstance(v, dict | list))
    if isinstance(data, list):
        return any(_has_finish(v, depth + 1) for v in data)
    return False


def stream_finished(collector: Any) -> bool:
    """Whether the streamed reply ended properly (a finish reason or [DONE]), not mid-way.

    BAML treats a connection that drops mid-stream as the end of the reply and parses
    whatever arrived, which can be a truncated answer that still parses.
    """
    last = collector.last
    if last is None or not last.calls:
        return True
    call = last.calls[-1]
    events_of = getattr(call, "sse_responses", None)
    if events_of is None:
        return True
    events = events_of() or []
    for event in reversed(events):
        if event.text.strip() == "[DONE]":
            return True
        try:
            data = event.json()
        except Exception:
            continue
        if _has_finish(data):
            return True
    return False


def raw_text(collector: Any) -> str | None:
    last = collector.last
    raw = last.raw_llm_response if last is not None else None
    return raw if isinstance(raw, str) else None


_REASON = re.compile(r'reason: "((?:[^"\\]|\\.)*)"')


def parse_feedback(message: str) -> str:
    """A short description of why a reply did not parse, for the model (not the user)."""
    reasons: list[str] = []
    for reason in _REASON.findall(message or ""):
        if reason not in reasons:
            reasons.append(reason)
    detail = "; ".join(reasons) if reasons else (message or "").split("\n", 1)[0]
    return f"it did not match the required JSON format ({detail[:400]})"
