"""The server keeps no conversation state: workers and separate processes share one database
(a SQLite file, or a PostgreSQL server)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from pa_cli.config import load_settings
from pa_cli.store import open_store
from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.server.support import API, LiveServer, sse_events, stream_events


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_env(request: pytest.FixtureRequest, env: dict[str, str]) -> dict[str, str]:
    """One home (so one signing key), and one database: the SQLite file in it, or a PostgreSQL server."""
    if request.param == "postgresql":
        return {**env, "PA_DATABASE_URL": request.getfixturevalue("postgres_url")}
    return env


@pytest.fixture
def pair(shared_env: dict[str, str]) -> Iterator[tuple[LiveServer, LiveServer]]:
    env = shared_env
    first = LiveServer.start(env)
    try:
        second = LiveServer.start(env)
        try:
            yield first, second
        finally:
            second.stop()
    finally:
        first.stop()


def test_two_servers_on_one_database_serve_one_conversation(
    pair: tuple[LiveServer, LiveServer], fake_llm: FakeLLM
) -> None:
    a, b = pair
    fake_llm.reply_text(thinking("Noted: the meeting is in room 4."))
    fake_llm.reply_text(thinking("Room 4."))
    fake_llm.reply_text(thinking(None, ("system_prompt_update", {"text": "Mention rooms."})))
    fake_llm.reply_text(thinking("Updated."))
    with a.client() as on_a, b.client(a.token) as on_b:  # a token from one is good on the other
        session = on_a.post(f"{API}/chat", json={"message": "the meeting is in room 4"}).json()["session_id"]
        answer = on_b.post(f"{API}/chat", json={"message": "which room?", "session_id": session}).json()
        assert answer["response"] == "Room 4." and answer["session_id"] == session
        assert "the meeting is in room 4" in fake_llm.requests[1].prompt_text

        pending = on_a.post(
            f"{API}/chat", json={"message": "always mention rooms", "session_id": session}
        ).json()
        [approval] = pending["pending_approvals"]
        events = stream_events(on_b, f"{API}/approvals/{approval['id']}", {"approve": True})
        assert events[-1].event == "done" and events[-1].data["response"] == "Updated."
        titles = [s["id"] for s in on_a.get(f"{API}/sessions").json()["sessions"]]
        assert titles == [session]
    with open_store(load_settings(environ=a.env)) as store:  # the conversation is in the shared database
        assert store.dialect == ("postgresql" if "PA_DATABASE_URL" in a.env else "sqlite")
        chat = store.sessions.get(session)
        assert chat is not None and len(store.messages.list(session)) >= 6


def test_a_stream_started_on_one_server_is_resumed_on_the_other(
    pair: tuple[LiveServer, LiveServer], fake_llm: FakeLLM
) -> None:
    a, b = pair
    answer = "Alpha, beta, gamma, delta, epsilon, zeta, eta, theta."
    fake_llm.reply_text(thinking(answer), chunk_size=6, delay_between_chunks_ms=60)
    with (
        a.client() as on_a,
        b.client(a.token) as on_b,
        on_a.stream("POST", f"{API}/chat/stream", json={"message": "greek letters"}) as response,
    ):
        stream = sse_events(response)
        seen = [next(stream), next(stream)]
        rest = stream_events(
            on_b, f"{API}/chat/stream", {"message": "greek letters"}, **{"Last-Event-ID": seen[-1].id}
        )
    assert rest[-1].event == "done"
    assert "".join(e.data["text"] for e in seen + rest if e.event == "token") == answer


def test_two_workers_serve_one_conversation(shared_env: dict[str, str], fake_llm: FakeLLM) -> None:
    server = LiveServer.start(shared_env, "--workers", "2")
    try:
        for n in range(6):
            fake_llm.reply_text(thinking(f"reply {n}"))
        session = None
        for n in range(6):  # a fresh connection each time, so either worker may answer
            body = {"message": f"message {n}", **({"session_id": session} if session else {})}
            with httpx.Client(base_url=server.base_url, headers=server.headers(), timeout=30) as http:
                response = http.post(f"{API}/chat", json=body)
            assert response.status_code == 200, response.text
            session = response.json()["session_id"]
        assert all(f"message {n - 1}" in fake_llm.requests[n].prompt_text for n in range(1, 6))
        assert len(set(re.findall(r"Started server process \[(\d+)\]", server.output))) == 2
    finally:
        assert server.stop() == 0


def test_a_turn_running_on_one_server_is_cancelled_through_the_other(
    pair: tuple[LiveServer, LiveServer], fake_llm: FakeLLM
) -> None:
    a, b = pair
    answer = "Alpha, beta, gamma, delta, epsilon, zeta, eta, theta, iota, kappa, lambda, mu, nu, xi."
    fake_llm.reply_text(thinking(answer), chunk_size=4, delay_between_chunks_ms=250)
    with (
        a.client() as on_a,
        b.client(a.token) as on_b,
        on_a.stream("POST", f"{API}/chat/stream", json={"message": "greek letters"}) as response,
    ):
        stream = sse_events(response)
        seen = [next(stream), next(stream)]
        session_id = seen[0].data["session_id"]
        cancelled = on_b.post(f"{API}/sessions/{session_id}/cancel")
        seen += list(stream)
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["cancelled_turns"] == [seen[0].data["turn_id"]]
        assert seen[-1].event == "error" and seen[-1].data["code"] == "cancelled"
        [assistant] = [
            m
            for m in on_b.get(f"{API}/sessions/{session_id}/messages").json()["messages"]
            if m["role"] == "assistant"
        ]
        text = "".join(e.data["text"] for e in seen if e.event == "token")
        assert assistant["status"] == "incomplete" and assistant["content"] == text != answer
        assert on_b.post(f"{API}/sessions/{session_id}/cancel").status_code == 409
