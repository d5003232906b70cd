"""Several processes share one SQLite file: writes wait for each other instead of failing."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from pa_cli.store import open_store

# A child process: wait for the start signal, then write through its own Store.
WRITER = """
import sys, time
from pathlib import Path
from pa_cli.store import open_store

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
