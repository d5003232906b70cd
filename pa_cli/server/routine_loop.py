"""The routine runner of one server process: every ``routines.tick_seconds`` it runs what is due.

Each worker (``pa serve --workers 2``) and each host on one database has its
own loop; the claim in the database gives every slot to exactly one of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pa_cli.routines.runner import RoutineRunner

log = logging.getLogger(__name__)


class RoutineLoop:
    def __init__(self, runner: RoutineRunner, tick_seconds: float) -> None:
        self.runner = runner
        self.tick_seconds = tick_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="pa-routines")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.tick_seconds)  # first after start-up has finished
            try:
                await self.runner.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bad tick (database away) must not end the loop
                log.error("routine tick failed: %s", type(exc).__name__)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
