"""A client-side token bucket for LLM requests, shared by everything in one process.

``settings.llm.requests_per_minute`` sets the refill rate; the bucket holds up to ten
seconds' worth of requests (at least one), so a short burst (a few tool rounds in one
turn) goes out at once and a long run settles at the configured rate. Waiters are
served in arrival order: each ``acquire`` reserves its slot under a lock and sleeps
until that slot, so concurrent turns (the server) share the budget fairly.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

BURST_SECONDS = 10.0


class TokenBucket:
    def __init__(
        self,
        requests_per_minute: float,
        *,
        burst: float | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be positive")
        self.rate = requests_per_minute / 60.0  # tokens per second
        self.capacity = burst if burst is not None else max(1.0, self.rate * BURST_SECONDS)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.capacity
        self._updated = clock()
        self._lock = threading.Lock()  # buckets are shared across event loops (threads) too

    def reserve(self) -> float:
        """Take one token now (possibly going into debt); return how long to wait for it."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    async def acquire(self) -> float:
        """Wait for a request slot; return the time waited (seconds)."""
        delay = self.reserve()
        if delay > 0:
            await self._sleep(delay)
        return delay


_SHARED: dict[tuple[str, float], TokenBucket] = {}
_SHARED_LOCK = threading.Lock()


def shared_bucket(key: str, requests_per_minute: float) -> TokenBucket:
    """The process-wide bucket for one LLM endpoint (``key``) at one rate."""
    with _SHARED_LOCK:
        bucket = _SHARED.get((key, requests_per_minute))
        if bucket is None:
            bucket = _SHARED[(key, requests_per_minute)] = TokenBucket(requests_per_minute)
        return bucket
