"""SSE streams that break: a client that hangs up and comes back, a cancel, a revoked token, a server that stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx

from pa_cli.config import Settings, load_settings
from pa_cli.server.runtime import RuntimeOptions
from pa_cli.store import open_store
from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.server.support import API, LiveServer, SseEvent, ThreadedServer, issue, sse_events, stream_events

ANSWER = "One, two, three, four, five, six, seven, eight, nine, ten, eleven, twelve, thirteen."
LONG_ANSWER = ANSWER + " Fourteen, fifteen, sixteen, seventeen, eighteen, nineteen, twenty, twenty-one."


def _slow_answer(fake_llm: FakeLLM, delay_ms: float = 120) -> None:
    fake_llm.reply_text(thinking(ANSWER), chunk_size=6, delay_between_chunks_ms=delay_ms)


def _read_until_tokens(events: Iterator[SseEvent], count: int) -> list[SseEvent]:
    seen: list[SseEvent] = []
    for event in events:
        seen.append(event)
        if sum(1 for e in seen if e.event == "token") >= count:
            return seen
    raise AssertionError(f"the stream ended early: {seen}")


def _wait_for(predicate: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def _messages(http: httpx.Client, session_id: str) -> list[dict[str, object]]:
    messages: list[dict[str, object]] = http.get(f"{API}/sessions/{session_id}/messages").json()["messages"]
    return messages


def _other_users_token(server: LiveServer) -> str:
    """A token of a second user of the same server."""
    import jwt

    from pa_cli.secrets import open_secret_store
    from pa_cli.server.auth import ensure_signing_key

    settings = load_settings(environ=server.env)
    with open_store(settings) as store:
        other = store.users.ensure("someone-else")
        client = store.api_clients.create(other.id, "their phone")
    key = ensure_signing_key(open_secret_store(settings.app_paths, server.env))
    claims = {"iss": "pa", "aud": "pa-serve", "sub": str(other.id), "jti": client.id, "iat": 1, "exp": 2**33}
    return jwt.encode(claims, key, algorithm="HS256")


def test_a_client_that_drops_and_reconnects_after_missing_events_loses_nothing(
    server: LiveServer, fake_llm: FakeLLM
) -> None:
    fake_llm.reply_text(thinking(LONG_ANSWER), chunk_size=6, delay_between_chunks_ms=150)
    with server.client() as http:
        with http.stream("POST", f"{API}/chat/stream", json={"message": "count slowly"}) as response:
            seen = _read_until_tokens(sse_events(response), 2)
        # The phone is gone (the connection is closed); it comes back once the turn, still running,
        # has stored three more token events than it saw (events it must get on reconnecting).
        session_id, turn_id = seen[0].data["session_id"], seen[0].data["turn_id"]
        with open_store(load_settings(environ=server.env)) as store:

            def missed_tokens() -> int:
                stored = store.events.after(session_id, turn_id, int(seen[-1].id))
                return sum(1 for e in stored if e.type == "token")

            _wait_for(lambda: missed_tokens() >= 3)
        rest = stream_events(
            http, f"{API}/chat/stream", {"message": "count slowly"}, **{"Last-Event-ID": seen[-1].id}
        )
    events = seen + rest
    ids = [int(e.id) for e in events]
    assert ids == sorted(set(ids))  # strictly increasing: nothing repeated
    assert rest[-1].event == "done" and rest[-1].data["response"] == LONG_ANSWER
    assert "".join(e.data["text"] for e in events if e.event == "token") == LONG_ANSWER
    # Nothing lost either: the two connections together carried every stored event of the turn.
    with open_store(load_settings(environ=server.env)) as store:
        stored = store.events.after(seen[0].data["session_id"], seen[0].data["turn_id"])
    assert [e.id for e in stored] == ids
    with server.client() as http:
        [assistant] = [m for m in _messages(http, seen[0].data["session_id"]) if m["role"] == "assistant"]
    assert assistant["status"] == "complete" and assistant["content"] == LONG_ANSWER


def test_cancel_stops_a_running_turn_and_keeps_the_partial_answer_marked_incomplete(
    server: LiveServer, fake_llm: FakeLLM
) -> None:
    fake_llm.reply_text(thinking(LONG_ANSWER), chunk_size=6, delay_between_chunks_ms=200)
    with server.client() as http:
        with http.stream("POST", f"{API}/chat/stream", json={"message": "count slowly"}) as response:
            events = sse_events(response)
            seen = _read_until_tokens(events, 2)
            session_id = seen[0].data["session_id"]
            cancelled = http.post(f"{API}/sessions/{session_id}/cancel")
            seen += list(events)
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json() == {"session_id": session_id, "cancelled_turns": [seen[0].data["turn_id"]]}
        assert seen[-1].event == "error" and seen[-1].data["code"] == "cancelled"
        assert not any(e.event == "done" for e in seen)
        [assistant] = [m for m in _messages(http, session_id) if m["role"] == "assistant"]
        assert assistant["status"] == "incomplete"
        text = "".join(e.data["text"] for e in seen if e.event == "token")
        assert assistant["content"] == text and LONG_ANSWER.startswith(text) and text != LONG_ANSWER

        again = http.post(f"{API}/sessions/{session_id}/cancel")
        assert again.status_code == 409 and again.json()["error"]["code"] == "not_running"
        unknown = http.post(f"{API}/sessions/{'0' * 32}/cancel")
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    with server.client(_other_users_token(server)) as other:
        foreign = other.post(f"{API}/sessions/{session_id}/cancel")
        assert foreign.status_code == 404


def test_another_user_cannot_cancel_a_running_turn(server: LiveServer, fake_llm: FakeLLM) -> None:
    fake_llm.reply_text(thinking(ANSWER), chunk_size=6, delay_between_chunks_ms=100)
    with (
        server.client() as http,
        http.stream("POST", f"{API}/chat/stream", json={"message": "count"}) as response,
    ):
        events = sse_events(response)
        seen = _read_until_tokens(events, 1)
        with server.client(_other_users_token(server)) as other:
            foreign = other.post(f"{API}/sessions/{seen[0].data['session_id']}/cancel")
        seen += list(events)
    assert foreign.status_code == 404
    assert seen[-1].event == "done" and seen[-1].data["response"] == ANSWER


def test_revoking_the_token_ends_its_open_stream_with_an_error(server: LiveServer, fake_llm: FakeLLM) -> None:
    fake_llm.reply_text(thinking(LONG_ANSWER), chunk_size=6, delay_between_chunks_ms=250)
    with (
        server.client() as http,
        http.stream("POST", f"{API}/chat/stream", json={"message": "count slowly"}) as response,
    ):
        events = sse_events(response)
        seen = _read_until_tokens(events, 1)
        result = subprocess.run(
            [sys.executable, "-m", "pa_cli", "serve", "token", "revoke", server.client_id],
            env=server.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        seen += list(events)
    assert seen[-1].event == "error" and seen[-1].data["code"] == "token_revoked"
    assert not any(e.event == "done" for e in seen)


def test_a_reconnect_with_last_event_id_gets_the_rest_of_the_turn(
    server: LiveServer, fake_llm: FakeLLM
) -> None:
    _slow_answer(fake_llm, delay_ms=60)
    with (
        server.client() as http,
        http.stream("POST", f"{API}/chat/stream", json={"message": "count"}) as first,
    ):
        first_events = sse_events(first)
        seen = _read_until_tokens(first_events, 1)
        # A second connection (say, the phone after switching networks) picks up from the last id it saw.
        rest = stream_events(
            http, f"{API}/chat/stream", {"message": "count"}, **{"Last-Event-ID": seen[-1].id}
        )
        original = seen + list(first_events)
    assert rest[-1].event == "done" and rest[-1].data["response"] == ANSWER
    assert [e.id for e in rest] == [e.id for e in original if int(e.id) > int(seen[-1].id)]
    text = "".join(e.data["text"] for e in seen + rest if e.event == "token")
    assert text == ANSWER


def test_last_event_id_of_another_user_or_nonsense_is_refused(server: LiveServer, fake_llm: FakeLLM) -> None:
    fake_llm.reply_text(thinking("hi"))
    with server.client() as http:
        events = stream_events(http, f"{API}/chat/stream", {"message": "hi"})
        missing = http.post(f"{API}/chat/stream", json={"message": "x"}, headers={"Last-Event-ID": "99999"})
        assert missing.status_code == 404
        garbage = http.post(f"{API}/chat/stream", json={"message": "x"}, headers={"Last-Event-ID": "abc"})
        assert garbage.status_code == 422 and garbage.json()["error"]["code"] == "invalid_request"
        after_done = stream_events(
            http, f"{API}/chat/stream", {"message": "x"}, **{"Last-Event-ID": events[-1].id}
        )
    assert after_done == []


def test_shutting_down_sends_an_error_event_and_leaves_the_database_consistent(
    own_server: LiveServer, fake_llm: FakeLLM
) -> None:
    server = own_server
    _slow_answer(fake_llm, delay_ms=200)
    with (
        server.client() as http,
        http.stream("POST", f"{API}/chat/stream", json={"message": "count"}) as response,
    ):
        stream = sse_events(response)
        events = _read_until_tokens(stream, 1)
        server.process.send_signal(signal.SIGTERM)
        events += list(stream)
    assert events[-1].event == "error" and events[-1].data["code"] == "server_shutdown"
    assert server.stop() == 0
    session_id = events[0].data["session_id"]
    with open_store(load_settings(environ=server.env)) as store:
        [assistant] = [m for m in store.messages.list(session_id) if m.role == "assistant"]
        assert assistant.status == "incomplete"
        stored = store.events.after(session_id, events[0].data["turn_id"])
    assert [e.type for e in stored][-1] == "error"
    assert [str(e.id) for e in stored] == [e.id for e in events]


def test_a_quiet_stream_gets_keep_alive_pings(fake_llm: FakeLLM, local_settings: Settings) -> None:
    fake_llm.reply_text(thinking("late"), delay_before_ms=900)
    with ThreadedServer(local_settings, RuntimeOptions(ping_seconds=0.2)) as live:
        token, _ = issue(dict(os.environ))
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.stream(
            "POST", live.base_url + f"{API}/chat/stream", json={"message": "hi"}, headers=headers
        ) as r:
            lines = list(r.iter_lines())
    pings = [line for line in lines if line.startswith(":")]
    assert len(pings) >= 2
    assert any(line == "event: done" for line in lines)


def test_shutting_down_stops_a_turn_nobody_follows_and_marks_it_incomplete(
    own_server: LiveServer, fake_llm: FakeLLM
) -> None:
    server = own_server
    fake_llm.reply_text(thinking(LONG_ANSWER), chunk_size=6, delay_between_chunks_ms=250)
    with (
        server.client() as http,
        http.stream("POST", f"{API}/chat/stream", json={"message": "count"}) as response,
    ):
        seen = _read_until_tokens(sse_events(response), 2)
    # The client is gone; the turn goes on in the server until the server stops.
    session_id, turn_id = seen[0].data["session_id"], seen[0].data["turn_id"]
    settings = load_settings(environ=server.env)
    with open_store(settings) as store:
        _wait_for(lambda: len([e for e in store.events.after(session_id, turn_id) if e.type == "token"]) > 3)
    assert server.stop() == 0
    with open_store(settings) as store:
        stored = store.events.after(session_id, turn_id)
        [assistant] = [m for m in store.messages.list(session_id) if m.role == "assistant"]
    assert stored[-1].type == "error" and stored[-1].data["code"] == "server_shutdown"
    text = "".join(e.data["text"] for e in stored if e.type == "token")
    assert assistant.status == "incomplete" and assistant.content == text
    assert LONG_ANSWER.startswith(text) and text != LONG_ANSWER
