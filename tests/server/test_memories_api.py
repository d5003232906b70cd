"""GET/POST/PATCH/DELETE .../memories over a real `pa serve`: behind the device token, the user's own
facts only, errors in the contract's shape; a fact added over HTTP is recalled in the next chat."""

from __future__ import annotations

from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.server.support import API, LiveServer, stream_events
from tests.server.test_streams import _other_users_token


def test_memories_can_be_added_listed_searched_edited_pinned_and_forgotten(
    own_server: LiveServer, fake_llm: FakeLLM
) -> None:
    server = own_server
    with server.client() as http:
        created = http.post(f"{API}/memories", json={"text": "  My manager is   Sam "})
        assert created.status_code == 201, created.text
        fact = created.json()
        assert (fact["text"], fact["source"], fact["pinned"], fact["untrusted"]) == (
            "My manager is Sam",
            "you",
            False,
            False,
        )
        http.post(f"{API}/memories", json={"text": "The offsite is in Lisbon", "pinned": True})
        listed = http.get(f"{API}/memories").json()
        assert listed["enabled"] is True
        assert [m["text"] for m in listed["memories"]] == ["The offsite is in Lisbon", "My manager is Sam"]
        found = http.get(f"{API}/memories", params={"q": "manager"}).json()["memories"]
        assert [m["id"] for m in found] == [fact["id"]]

        edited = http.patch(f"{API}/memories/{fact['id'][:6]}", json={"text": "My manager is Priya"})
        assert edited.status_code == 200 and edited.json()["text"] == "My manager is Priya"
        pinned = http.patch(f"{API}/memories/{fact['id']}", json={"pinned": True}).json()
        assert pinned["pinned"] is True and pinned["text"] == "My manager is Priya"

        fake_llm.reply_text(thinking("Priya."))
        events = stream_events(http, f"{API}/chat/stream", {"message": "who is my manager?"})
        assert "My manager is Priya" in fake_llm.last_request.prompt_text
        assert events[-1].event == "done"

        gone = http.delete(f"{API}/memories/{fact['id']}")
        assert gone.status_code == 200 and gone.json() == {"forgotten": fact["id"]}
        again = http.delete(f"{API}/memories/{fact['id']}")
        assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"

        empty = http.post(f"{API}/memories", json={"text": "   "})
        assert empty.status_code == 400 and empty.json()["error"]["code"] == "invalid_request"
        extra = http.post(f"{API}/memories", json={"text": "x", "source": "mail"})
        assert extra.status_code == 422 and extra.json()["error"]["code"] == "invalid_request"
        bad_id = http.patch(f"{API}/memories/no%20such!", json={"pinned": True})
        assert bad_id.status_code == 422 and bad_id.json()["error"]["code"] == "invalid_request"

    with server.client(_other_users_token(server)) as other:
        assert other.get(f"{API}/memories").json()["memories"] == []
        theirs = other.delete(f"{API}/memories/{listed['memories'][0]['id']}")
        assert theirs.status_code == 404
    with server.client("not-a-token") as anonymous:
        assert anonymous.get(f"{API}/memories").status_code == 401
        assert anonymous.post(f"{API}/memories", json={"text": "x"}).status_code == 401
