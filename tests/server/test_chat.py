"""Chat over HTTP against a live `pa serve`: JSON answers, SSE streams, sessions that continue."""

from __future__ import annotations

from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.server.support import API, LiveServer, stream_events


def test_chat_returns_the_answer_and_a_session(server: LiveServer, fake_llm: FakeLLM) -> None:
    fake_llm.reply_text(thinking("Paris is the capital of France."))
    with server.client() as http:
        response = http.post(f"{API}/chat", json={"message": "What is the capital of France?"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["response"] == "Paris is the capital of France."
    assert body["tools_used"] == []
    assert len(body["session_id"]) == 32
    assert "What is the capital of France?" in fake_llm.last_request.prompt_text


def test_chat_stream_sends_session_tokens_and_done_with_increasing_ids(
    server: LiveServer, fake_llm: FakeLLM
) -> None:
    fake_llm.reply_text(
        thinking("The answer is forty-two, of course."), chunk_size=4, delay_between_chunks_ms=15
    )
    with server.client() as http:
        events = stream_events(http, f"{API}/chat/stream", {"message": "meaning of life?"})
    kinds = [e.event for e in events]
    assert kinds[0] == "session" and kinds[-1] == "done"
    assert set(kinds[1:-1]) == {"token"}
    assert (
        "".join(e.data["text"] for e in events if e.event == "token") == "The answer is forty-two, of course."
    )
    done = events[-1].data
    assert done["response"] == "The answer is forty-two, of course."
    assert done["session_id"] == events[0].data["session_id"]
    ids = [int(e.id) for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_a_session_continues_with_its_history(server: LiveServer, fake_llm: FakeLLM) -> None:
    fake_llm.reply_text(thinking("Noted: your cat is called Miso."))
    fake_llm.reply_text(thinking("Miso."))
    with server.client() as http:
        first = http.post(f"{API}/chat", json={"message": "my cat is called Miso"}).json()
        second = http.post(
            f"{API}/chat", json={"message": "what is my cat called?", "session_id": first["session_id"]}
        ).json()
    assert second["session_id"] == first["session_id"]
    assert "my cat is called Miso" in fake_llm.requests[1].prompt_text


def test_an_unknown_session_is_a_404_in_the_error_shape(server: LiveServer) -> None:
    with server.client() as http:
        for path in ("/chat", "/chat/stream"):
            response = http.post(f"{API}{path}", json={"message": "hi", "session_id": "0" * 32})
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"


def test_invalid_requests_get_422_in_the_error_shape(server: LiveServer) -> None:
    with server.client() as http:
        for body in ({}, {"message": ""}, {"message": "   "}, {"message": "hi", "extra": 1}, {"message": 5}):
            response = http.post(f"{API}/chat", json=body)
            assert response.status_code == 422, body
            error = response.json()["error"]
            assert error["code"] == "invalid_request" and error["message"]
        response = http.post(
            f"{API}/chat", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422


def test_tool_calls_stream_as_tool_start_and_tool_end(server: LiveServer, fake_llm: FakeLLM) -> None:
    fake_llm.reply_text(thinking(None, ("fs_write", {"path": "/notes/todo.md", "content": "buy milk"})))
    fake_llm.reply_text(thinking("Saved."))
    with server.client() as http:
        events = stream_events(http, f"{API}/chat/stream", {"message": "save a todo"})
    kinds = [e.event for e in events]
    assert kinds.index("tool_start") < kinds.index("tool_end") < kinds.index("done")
    start = next(e for e in events if e.event == "tool_start").data
    assert start["tool"] == "fs_write" and start["arguments"]["path"] == "/notes/todo.md"
    end = next(e for e in events if e.event == "tool_end").data
    assert end["ok"] is True and end["status"] == "done"
    assert events[-1].data["tools_used"] == ["fs_write"]


def test_plan_updates_stream_as_plan_events(server: LiveServer, fake_llm: FakeLLM) -> None:
    steps = [{"title": "book flights", "status": "pending"}, {"title": "pack", "status": "pending"}]
    fake_llm.reply_text(thinking(None, ("plan_update", {"steps": steps})))
    fake_llm.reply_text(thinking("Planned."))
    with server.client() as http:
        events = stream_events(http, f"{API}/chat/stream", {"message": "plan my trip"})
    plan = next(e for e in events if e.event == "plan")
    assert [s["title"] for s in plan.data["steps"]] == ["book flights", "pack"]
