"""Fault handling for LLM calls: what to retry, how long to wait, what to tell the user.

The transport (``llm_http``) raises typed failures (an HTTP status, no connection, a
stalled or broken stream); they are classified here, never by their message text.
"""

from __future__ import annotations

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


#: How many retries a failure may have at most, whatever llm.max_retries says.
#: A refused connection is retried quickly (a server restarting), a timeout once.
RETRY_CAP: dict[str, int] = {"unreachable": 2, "timeout": 1}
#: Base backoff per failure kind, in seconds (the others use the caller's base delay).
RETRY_BASE: dict[str, float] = {"unreachable": 0.5}
#: A 429 that asks for a longer wait than this is reported at once, with the wait.
MAX_RETRY_AFTER_SECONDS = 30.0


class Transient(Exception):
    """A failure worth retrying after a pause; ``what`` is the short reason shown while waiting."""

    def __init__(
        self,
        code: LLMErrorCode | str,
        what: str,
        *,
        retry_after: float | None = None,
        setting: str | None = None,
    ) -> None:
        super().__init__(what)
        self.code = code
        self.what = what
        self.retry_after = retry_after
        #: The setting that would change this outcome (a timeout's), named in the hint.
        self.setting = setting


class Retry(Exception):
    """The reply could not be used: ask again once, with this feedback for the model.

    ``user_message`` is what the user is told if the second reply fails too.
    """

    def __init__(self, feedback: str, *, user_message: str | None = None) -> None:
        super().__init__(feedback)
        self.feedback = feedback
        self.user_message = user_message


class CutByLength(Exception):
    """The reply stopped at the output token limit (finish reason ``length`` / ``MAX_TOKENS``)."""


def refused_key(status: int, url: str) -> LLMError:
    return LLMError(
        "auth",
        f"the API key was refused by the LLM provider (HTTP {status} from {url})",
        hint=(
            "check the key: the provider's *_API_KEY or PA_LLM_API_KEY, "
            "or store the right one with `pa config set-secret llm.api_key`"
        ),
    )


def classify_http(status: int, url: str = "the LLM", retry_after: float | None = None) -> Exception:
    """What an HTTP error status from the provider means: retry, or tell the user now."""
    if status == 429:
        if retry_after is not None and retry_after > MAX_RETRY_AFTER_SECONDS:
            return LLMError(
                "rate_limited",
                f"the LLM provider is refusing requests as too many (HTTP 429) "
                f"and asks to wait {retry_after:.0f} s",
                hint=f"try again in {retry_after:.0f} s, or lower llm.requests_per_minute",
            )
        return Transient("rate_limited", "HTTP 429 from the LLM", retry_after=retry_after)
    if status in (401, 403):
        return refused_key(status, url)
    if status in (400, 404, 405, 413, 422):
        return LLMError(
            "config",
            f"the LLM provider rejected the request (HTTP {status} from {url})",
            hint="check llm.model, llm.base_url and the API key",
        )
    if 100 <= status < 500 and status != 408:
        return LLMError("unavailable", f"the LLM provider answered with HTTP {status} ({url})")
    return Transient(
        "unavailable", f"HTTP {status} from the LLM" if status >= 100 else "a malformed response"
    )


def retry_after_seconds(headers: Any) -> float | None:
    """``retry-after-ms`` or ``Retry-After`` (seconds) from a response's headers, if any."""
    if not isinstance(headers, dict):
        return None
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    try:
        if "retry-after-ms" in lowered:
            return max(0.0, float(lowered["retry-after-ms"]) / 1000)
        if "retry-after" in lowered:
            return max(0.0, float(lowered["retry-after"]))
    except ValueError:
        return None  # an HTTP date: rare for APIs; fall back to our own backoff
    return None


_REASON = re.compile(r'reason: "((?:[^"\\]|\\.)*)"')


def parse_feedback(message: str) -> str:
    """A short description of why a reply did not parse, for the model (not the user)."""
    reasons: list[str] = []
    for reason in _REASON.findall(message or ""):
        if reason not in reasons:
            reasons.append(reason)
    first_line = (message or "").split("\n", 1)[0]
    if reasons:
        detail = "; ".join(reasons)
    elif first_line.startswith("Failed to coerce"):
        detail = "no JSON object with the required fields was found"
    else:
        detail = first_line
    return f"it did not match the required JSON format ({detail[:400]})"
