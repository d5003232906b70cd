"""A client slower than the agent: the server merges consecutive `token` events and keeps every character.

To make "slower" certain rather than likely, the test holds the server's SQLite database write-locked
while the model streams: every event is stored before it is sent, so the text deltas pile up in the
server's queue and go out merged once the lock is released.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.server.support import API, LiveServer, sse_events

PIECES = 20
#: Numbered words, so that a lost, doubled or reordered piece anywhere shows in the comparison.
ANSWER = " ".join(f"w{i:04d}" for i in range(400))


def _wait_until(predicate: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the fake LLM never finished streaming"
        time.sleep(0.02)


def test_a_slow_reader_gets_every_character_in_merged_token_events(
    server: LiveServer, fake_llm: FakeLLM
) -> None:
    reply = thinking(ANSWER)
    size = len(reply) // PIECES + 1
    chunks = [reply[i : i + size] for i in range(0, len(reply), size)]
    fake_llm.reply_text("", chunks=chunks, delay_between_chunks_ms=60)
    database = next(Path(server.env["PA_HOME"]).rglob("pa.db"))
    with (
        server.client() as http,
        http.stream("POST", f"{API}/chat/stream", json={"message": "count"}) as response,
    ):
        assert response.status_code == 200
        events = sse_events(response)
        first = next(events)
        assert first.event == "session"
        lock = sqlite3.connect(database, timeout=30, isolation_level=None)
        try:
            lock.execute("BEGIN IMMEDIATE")  # the server cannot store (so cannot send) anything now
            _wait_until(
                lambda: fake_llm.requests and len(fake_llm.requests[-1].chunks_sent_at) == len(chunks)
            )
            time.sleep(0.5)  # let the agent turn the last pieces into deltas
        finally:
            lock.execute("COMMIT")
            lock.close()
        rest = list(events)
    tokens = [str(e.data["text"]) for e in rest if e.event == "token"]
    assert "".join(tokens) == ANSWER
    assert len(tokens) < len(chunks) // 2  # merged: the deltas that waited went out together
    assert [e.data["response"] for e in rest if e.event == "done"] == [ANSWER]
