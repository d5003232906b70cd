"""The `waiting` SSE event: a retry after an LLM error is announced before the pause, then the turn goes on."""

from __future__ import annotations

from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.server.support import API, LiveServer, stream_events


def test_a_retry_is_announced_as_a_waiting_event(server: LiveServer, fake_llm: FakeLLM) -> None:
    fake_llm.fail(503)
    fake_llm.reply_text(thinking("Back again."))
    with server.client() as http:
        events = stream_events(http, f"{API}/chat/stream", {"message": "are you there?"})
    kinds = [e.event for e in events]
    assert kinds[0] == "session" and kinds[-1] == "done"
    waiting = [e.data for e in events if e.event == "waiting"]
    assert len(waiting) == 1
    assert waiting[0]["reason"] == "HTTP 503 from the LLM"
    assert 0 < waiting[0]["retry_in"] <= 1.0
    assert kinds.index("waiting") < kinds.index("token")
    assert events[-1].data["response"] == "Back again."
    assert len(fake_llm.requests) == 2


def test_the_openapi_document_lists_the_waiting_event(server: LiveServer) -> None:
    with server.client() as http:
        document = http.get("/openapi.json").json()
    assert "SseWaiting" in document["components"]["schemas"]
