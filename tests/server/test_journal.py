"""The event journal: group commits of turn events, in order, each caller getting its own id."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest

from pa_cli.server.journal import EventJournal, JournalClosed
from pa_cli.store import Store
from pa_cli.store.engine import sqlite_file


def _session(store: Store) -> str:
    return store.sessions.create(store.users.local_user().id).id


async def test_events_that_wait_together_share_a_write_and_keep_their_order(store: Store) -> None:
    sid = _session(store)
    journal = EventJournal(store)
    try:

        async def one_stream(turn: str) -> list[int]:
            return [await journal.submit(sid, turn, "token", {"text": f"{turn}-{n}"}) for n in range(20)]

        per_turn = await asyncio.gather(*(one_stream(f"turn-{t}") for t in range(10)))
    finally:
        await journal.close()

    assert journal.events == 200 and journal.writes < 200
    for t, ids in enumerate(per_turn):
        assert ids == sorted(ids)
        stored = store.events.after(sid, f"turn-{t}", 0)
        assert [e.id for e in stored] == ids
        assert [e.data["text"] for e in stored] == [f"turn-{t}-{n}" for n in range(20)]


async def test_submitted_events_of_one_stream_are_stored_in_submission_order(store: Store) -> None:
    sid = _session(store)
    journal = EventJournal(store)
    try:
        futures = [journal.submit(sid, "t", "token", {"n": n}) for n in range(50)]
        ids = [await f for f in futures]
    finally:
        await journal.close()

    assert ids == sorted(ids) and journal.writes == 1
    assert [e.data["n"] for e in store.events.after(sid, "t", 0)] == list(range(50))


async def test_a_failed_write_fails_its_events_and_the_next_write_works(store: Store) -> None:
    sid = _session(store)
    journal = EventJournal(store)
    try:
        with pytest.raises(Exception, match="FOREIGN KEY"):
            await journal.submit("no-such-session", "t", "token", {})
        assert await journal.submit(sid, "t", "token", {"text": "still fine"}) > 0
    finally:
        await journal.close()

    assert [e.data for e in store.events.after(sid, "t", 0)] == [{"text": "still fine"}]


async def test_a_closed_journal_refuses_events(store: Store) -> None:
    journal = EventJournal(store)
    await journal.close()

    with pytest.raises(JournalClosed):
        await journal.submit(_session(store), "t", "token", {})


async def test_closing_stops_the_writer_task(store: Store) -> None:
    """No writer is left waiting forever on the loop (it would be destroyed pending at shutdown)."""
    sid = _session(store)
    journal = EventJournal(store)
    await journal.submit(sid, "t", "token", {"text": "x"})
    writers = [t for t in asyncio.all_tasks() if t.get_name() == "pa-event-journal"]
    assert len(writers) == 1 and not writers[0].done()  # idle, waiting for the next event
    await journal.close()
    assert writers[0].cancelled()
    assert [t for t in asyncio.all_tasks() if t.get_name() == "pa-event-journal" and not t.done()] == []
    assert journal.closed is True


async def test_an_event_queued_during_a_failed_write_is_still_stored(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write fails while another event waits: the writer goes on and stores it, without a new submit."""
    import threading

    sid = _session(store)
    journal = EventJournal(store)
    release, writing = threading.Event(), threading.Event()
    calls: list[int] = []
    real = store.events.append_many

    def first_write_fails(events: list[object]) -> list[int]:
        calls.append(len(events))
        if len(calls) == 1:
            writing.set()
            release.wait(10)
            raise RuntimeError("disk full")
        return real(events)  # type: ignore[arg-type]

    monkeypatch.setattr(store.events, "append_many", first_write_fails)
    try:
        first = journal.submit(sid, "t", "token", {"text": "lost"})
        assert await asyncio.to_thread(writing.wait, 10)  # the writer took the first event and writes it
        second = journal.submit(sid, "t", "token", {"text": "kept"})
        release.set()
        with pytest.raises(RuntimeError):
            await first
        event_id = await asyncio.wait_for(second, 30)
    finally:
        release.set()
        await journal.close()
    assert [(e.id, e.data["text"]) for e in store.events.after(sid, "t", 0)] == [(event_id, "kept")]
    assert calls == [1, 1]


async def test_close_waits_for_the_write_under_way(store: Store) -> None:
    """The server closes its store after the journal: a write still running then would hit a closed
    store (or be cut off when the process exits). close() returns only once that write has ended."""
    sid = _session(store)
    journal = EventJournal(store)
    path = sqlite_file(store.engine.url)
    assert path is not None
    other_writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other_writer.execute("BEGIN IMMEDIATE")  # the journal's write waits for this lock

    def let_go() -> None:
        other_writer.execute("COMMIT")
        other_writer.close()

    submitted = journal.submit(sid, "t", "token", {"text": "in flight"})
    await asyncio.sleep(0.3)  # the writer thread is inside its write, waiting for the lock
    releaser = threading.Timer(0.5, let_go)  # another process ends its transaction, a little later
    releaser.start()
    try:
        await journal.close()
        # The write ended before close() returned: its row is there.
        assert [e.data for e in store.events.after(sid, "t", 0)] == [{"text": "in flight"}]
    finally:
        releaser.join()
    assert submitted.done()
