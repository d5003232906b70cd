"""Side effects over HTTP: the turn suspends with an approval; POST .../approvals/{id} resumes it."""

from __future__ import annotations

import httpx

from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.server.support import API, LiveServer, stream_events

UPDATE = ("system_prompt_update", {"text": "Answer in one sentence."})


def _ask_for_update(http: httpx.Client, fake_llm: FakeLLM) -> tuple[str, str]:
    fake_llm.reply_text(thinking(None, UPDATE))
    events = stream_events(http, f"{API}/chat/stream", {"message": "be brief from now on"})
    required = [e for e in events if e.event == "approval_required"]
    assert len(required) == 1
    assert required[0].data["tool"] == "system_prompt_update"
    assert "Answer in one sentence." in required[0].data["preview"]
    done = events[-1]
    assert done.event == "done" and done.data["pending_approvals"] == [required[0].data["id"]]
    return required[0].data["id"], done.data["session_id"]


def _prompt(http: httpx.Client) -> str | None:
    prompt: str | None = http.get(f"{API}/config").json()["system_prompt"]
    return prompt


def _pending(http: httpx.Client) -> list[str]:
    return [a["id"] for a in http.get(f"{API}/approvals").json()["approvals"]]


def test_a_side_effect_waits_for_approval_then_runs(server: LiveServer, fake_llm: FakeLLM) -> None:
    with server.client() as http:
        http.put(f"{API}/config", json={"system_prompt": None})
        approval_id, session_id = _ask_for_update(http, fake_llm)
        assert _prompt(http) is None  # nothing ran yet
        assert approval_id in _pending(http)

        fake_llm.reply_text(thinking("Done: I will be brief."))
        events = stream_events(http, f"{API}/approvals/{approval_id}", {"approve": True})
        assert events[0].event == "session" and events[0].data["session_id"] == session_id
        assert events[-1].event == "done" and events[-1].data["response"] == "Done: I will be brief."
        assert _prompt(http) == "Answer in one sentence."
        assert approval_id not in _pending(http)


def test_a_denied_side_effect_never_runs_and_the_llm_is_told(server: LiveServer, fake_llm: FakeLLM) -> None:
    with server.client() as http:
        http.put(f"{API}/config", json={"system_prompt": None})
        approval_id, _ = _ask_for_update(http, fake_llm)
        fake_llm.reply_text(thinking("Alright, I left it as it was."))
        events = stream_events(http, f"{API}/approvals/{approval_id}", {"approve": False})
        assert events[-1].data["response"] == "Alright, I left it as it was."
        assert _prompt(http) is None
    assert "denied" in fake_llm.last_request.prompt_text


def test_the_chat_route_reports_pending_approvals(server: LiveServer, fake_llm: FakeLLM) -> None:
    fake_llm.reply_text(thinking(None, UPDATE))
    with server.client() as http:
        body = http.post(f"{API}/chat", json={"message": "be brief"}).json()
    [pending] = body["pending_approvals"]
    assert pending["tool"] == "system_prompt_update" and "Answer in one sentence." in pending["preview"]


def test_deciding_twice_or_an_unknown_approval_is_an_error(server: LiveServer, fake_llm: FakeLLM) -> None:
    with server.client() as http:
        approval_id, _ = _ask_for_update(http, fake_llm)
        fake_llm.reply_text(thinking("ok"))
        stream_events(http, f"{API}/approvals/{approval_id}", {"approve": True})
        again = http.post(f"{API}/approvals/{approval_id}", json={"approve": True})
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "approval_already_decided"
        unknown = http.post(f"{API}/approvals/nosuchapproval", json={"approve": True})
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
        loose = http.post(f"{API}/approvals/{approval_id}", json={"approve": "yes"})
        assert loose.status_code == 422


def test_another_users_approval_is_not_found(server: LiveServer, fake_llm: FakeLLM) -> None:
    from pa_cli.config import load_settings
    from pa_cli.store import open_store

    with server.client() as http:
        approval_id, _ = _ask_for_update(http, fake_llm)
    settings = load_settings(environ=server.env)
    with open_store(settings) as store:
        other = store.users.ensure("someone-else")
        client = store.api_clients.create(other.id, "their phone")
    import jwt

    from pa_cli.secrets import open_secret_store
    from pa_cli.server.auth import ensure_signing_key

    key = ensure_signing_key(open_secret_store(settings.app_paths, server.env))
    claims = {"iss": "pa", "aud": "pa-serve", "sub": str(other.id), "jti": client.id, "iat": 1, "exp": 2**33}
    token = jwt.encode(claims, key, algorithm="HS256")
    with server.client(token) as http:
        response = http.post(f"{API}/approvals/{approval_id}", json={"approve": True})
        assert response.status_code == 404
        assert _pending(http) == []
