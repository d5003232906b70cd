"""Ends the open streams of a device whose token is revoked, within about a second.

A token is checked when a request starts; a stream can stay open for minutes
after that. Every open stream registers its follower here under its client id,
and one task per process asks the database once a second which of those
clients are revoked (one query for all streams, whatever their number); their
followers are told to stop, and each stream ends with a ``token_revoked`` error.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pa_cli.server.live import Follower
    from pa_cli.store import Store

log = logging.getLogger(__name__)

CHECK_SECONDS = 1.0


class RevocationWatch:
    def __init__(self, store: Store, interval: float = CHECK_SECONDS) -> None:
        self.store = store
        self.interval = interval
        self._followers: dict[str, set[Follower]] = {}
        self._task: asyncio.Task[None] | None = None

    def add(self, client_id: str, follower: Follower) -> None:
        self._followers.setdefault(client_id, set()).add(follower)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._watch(), name="pa-revocation-watch")

    def discard(self, client_id: str, follower: Follower) -> None:
        followers = self._followers.get(client_id)
        if followers is not None:
            followers.discard(follower)
            if not followers:
                del self._followers[client_id]

    async def _watch(self) -> None:
        while self._followers:
            await asyncio.sleep(self.interval)
            try:
                revoked = self.store.api_clients.revoked_among(list(self._followers))
            except Exception as exc:  # a database hiccup: try again next time
                log.warning("checking for revoked tokens failed: %s", type(exc).__name__)
                continue
            for client_id in revoked:
                for follower in self._followers.pop(client_id, set()):
                    follower.revoke()

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
