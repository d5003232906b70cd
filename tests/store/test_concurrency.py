"""Several processes share one SQLite file: writes wait for each other instead of failing."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from pa_cli.store import Store, open_store

# A child process: wait for the start signal, then write through its own Store.
WRITER = """
import sys, time
from pathlib import Path
from pa_cli.store import Store, open_store

url, session_id, label, count, go = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), Path(sys.argv[5])
store = open_store(url=url)
user = store.users.local_user()
while not go.exists():
    time.sleep(0.005)
for i in range(count):
    if session_id == "-":
        store.audit.record(user_id=user.id, tool="fs_write", arguments={"i": i, "by": label},
                           frontend=label, outcome="ok")
    else:
        store.messages.add(session_id, "user", f"{label} message number {i}")
store.close()
print("done")
"""


def _run_writers(url: str, session_id: str, count: int, go: Path, labels: tuple[str, ...]) -> list[str]:
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, session_id, label, str(count), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for label in labels
    ]
    time.sleep(0.3)  # let both import and open before the start signal
    go.touch()
    errors: list[str] = []
    for child in children:
        out, err = child.communicate(timeout=110)
        if child.returncode != 0 or out.strip() != "done":
            errors.append(err)
    return errors


def test_two_processes_each_writing_1000_messages_lose_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    with open_store(url=url) as store:
        user = store.users.local_user()
        chat = store.sessions.create(user.id)

    errors = _run_writers(url, chat.id, 1000, tmp_path / "go", ("alpha", "beta"))

    assert errors == [], "\n".join(errors)  # in particular no "database is locked"
    with open_store(url=url) as store:
        contents = [m.content for m in store.messages.list(chat.id)]
        assert len(contents) == 2000
        assert {c.split()[0] for c in contents} == {"alpha", "beta"}
        assert len(set(contents)) == 2000
        assert len(store.messages.search(user.id, "alpha", limit=5000)) == 1000


def test_fresh_database_opened_by_two_processes_at_once_keeps_one_valid_audit_chain(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"  # not created yet: both processes race to migrate it

    errors = _run_writers(url, "-", 200, tmp_path / "go", ("cli", "server"))

    assert errors == [], "\n".join(errors)
    with open_store(url=url) as store:
        entries = store.audit.list(limit=1000)
        assert len(entries) == 400
        assert store.audit.verify_chain()


def test_threads_sharing_one_store_write_without_errors(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with open_store(url=f"sqlite:///{tmp_path / 'threads.db'}") as store:
        user = store.users.local_user()
        chat = store.sessions.create(user.id)

        def write(worker: int) -> None:
            for i in range(100):
                store.messages.add(chat.id, "assistant", f"worker{worker} line {i}")
                store.events.append(chat.id, f"turn-{worker}", "token", {"i": i})

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(write, range(4)))

        assert store.messages.count(chat.id) == 400
        assert all(len(store.events.after(chat.id, f"turn-{w}")) == 100 for w in range(4))


def test_threads_of_one_process_queue_for_the_write_lock_instead_of_polling_sqlite(store: Store) -> None:
    """A second writer waits on the process's lock, so it never enters SQLite's sleeping busy handler."""
    import threading

    from sqlalchemy import event, text

    begun: list[str] = []  # who took a connection from the pool to begin a transaction

    def checkout(*_args: object) -> None:
        begun.append(threading.current_thread().name)

    event.listen(store.engine.pool, "checkout", checkout)
    user = store.users.local_user()
    holding, release = threading.Event(), threading.Event()
    created: list[str] = []

    def hold_a_write() -> None:
        with store.events._db.write() as session:  # what the event journal's thread does, kept open
            session.execute(text("SELECT 1"))  # the transaction (BEGIN IMMEDIATE) starts here
            holding.set()
            release.wait(10)

    def write_meanwhile() -> None:
        created.append(store.sessions.create(user.id).id)

    begun.clear()
    first = threading.Thread(target=hold_a_write, name="first")
    second = threading.Thread(target=write_meanwhile, name="second")
    first.start()
    assert holding.wait(10)
    second.start()
    time.sleep(0.3)
    assert begun == ["first"] and not created  # the second has not even taken a connection
    release.set()
    first.join(10)
    second.join(10)
    assert created and begun == ["first", "second"]
