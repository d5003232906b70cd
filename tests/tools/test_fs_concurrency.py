"""The VFS quota holds under concurrent writers: processes with their own connections, one database."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from typing import Any

from pa_cli.store import Store
from pa_cli.tools.builtin import fs

MIB = 1024 * 1024
WRITERS = 6


def _write_one(home: str, index: int, barrier: Any, results: Any) -> None:
    """A writer process: its own settings, store and connection; all start writing together."""
    os.environ["PA_HOME"] = home
    from pa_cli.config import load_settings
    from pa_cli.store import open_store
    from pa_cli.tools.base import ToolContext
    from pa_cli.tools.registry import execute_tool

    settings = load_settings()
    store = open_store(settings)
    ctx = ToolContext(settings=settings, store=store, user_id=store.users.local_user().id)
    barrier.wait(timeout=120)
    result = asyncio.run(execute_tool(fs.FsWrite(), {"path": f"/new/{index}.txt", "content": "y" * MIB}, ctx))
    results.put((index, result.ok, result.summary))
    store.close()


def test_concurrent_writers_cannot_exceed_the_quota_together(store: Store) -> None:
    user_id = store.users.local_user().id
    for i in range(19):  # 19 MiB used: room for exactly one more 1 MiB file under the 20 MiB quota
        store.vfs.write(user_id, f"/old/{i}.txt", "x" * MIB)
    assert fs.MAX_USER_BYTES == 20 * MIB and fs.MAX_FILE_BYTES == MIB
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WRITERS)
    results = context.Queue()
    home = os.environ["PA_HOME"]
    workers = [context.Process(target=_write_one, args=(home, i, barrier, results)) for i in range(WRITERS)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    succeeded = [summary for _, ok, summary in outcomes if ok]
    refused = [summary for _, ok, summary in outcomes if not ok]
    assert len(succeeded) == 1, outcomes
    assert all(s.startswith("this would use 21.0 MiB of 20.0 MiB") for s in refused), refused
    assert store.vfs.total_size(user_id) == 20 * MIB
