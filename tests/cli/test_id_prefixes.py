"""Ids a person types: a unique prefix works everywhere, an ambiguous or unknown one is a clear error.

And direct tool runs are not chat sessions: they stay out of `pa history list`.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from pa_cli.errors import EXIT_OK, EXIT_USAGE
from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.conftest import PaRunner


@pytest.fixture
def llm(fake_llm: FakeLLM, pa: PaRunner) -> FakeLLM:
    pa.extra_env.update(fake_llm.env("openai-generic"))
    pa.extra_env.update({"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "test-passphrase"})
    return fake_llm


def _sql(pa: PaRunner, statement: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(Path(pa.env()["PA_HOME"]) / "data" / "pa.db") as db:
        db.execute("PRAGMA foreign_keys = OFF")
        return db.execute(statement, params).fetchall()


def _ask(pa: PaRunner, llm: FakeLLM, text: str, *args: str) -> dict[str, object]:
    llm.reply_text(thinking(f"answer to {text}"))
    result = pa("ask", "--json", *args, text)
    assert result.returncode == EXIT_OK, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def _two_sessions_sharing_a_prefix(pa: PaRunner, llm: FakeLLM) -> tuple[str, str]:
    first = str(_ask(pa, llm, "one")["session_id"])
    second = str(_ask(pa, llm, "two")["session_id"])
    for old, new in ((first, "beef1" + first[5:]), (second, "beef2" + second[5:])):
        _sql(pa, "UPDATE messages SET session_id = ? WHERE session_id = ?", new, old)
        _sql(pa, "UPDATE sessions SET id = ? WHERE id = ?", new, old)
    return "beef1" + first[5:], "beef2" + second[5:]


def test_ask_continues_a_session_given_by_a_prefix(llm: FakeLLM, pa: PaRunner) -> None:
    first = str(_ask(pa, llm, "my cat is called Miso")["session_id"])
    again = _ask(pa, llm, "what is my cat called?", "-s", first[:6])
    assert again["session_id"] == first
    assert "my cat is called Miso" in llm.requests[-1].prompt_text


def test_an_ambiguous_session_prefix_lists_the_candidates(llm: FakeLLM, pa: PaRunner) -> None:
    one, two = _two_sessions_sharing_a_prefix(pa, llm)
    for command in (["ask", "-s", "beef", "hello"], ["history", "show", "beef"]):
        result = pa(*command)
        assert result.returncode == EXIT_USAGE, command
        assert result.stderr == (
            f"error: session prefix 'beef' matches several: {one}, {two}; give more characters\n"
        )
    assert pa("history", "show", "beef2").returncode == EXIT_OK


def test_an_unknown_session_prefix_is_a_one_line_error(llm: FakeLLM, pa: PaRunner) -> None:
    _ask(pa, llm, "hello")
    for command in (["ask", "-s", "zzzz9", "hello"], ["history", "show", "zzzz9"]):
        result = pa(*command)
        assert result.returncode == EXIT_USAGE
        assert result.stderr == "error: no session 'zzzz9' (see `pa history list`)\n"


def test_approve_and_deny_take_a_prefix_and_refuse_an_ambiguous_one(llm: FakeLLM, pa: PaRunner) -> None:
    llm.reply_text(
        thinking(None, ("system_prompt_update", {"text": "A."}), ("system_prompt_update", {"text": "B."}))
    )
    first, second = json.loads(pa("ask", "--json", "two changes").stdout)["pending_approvals"]
    _sql(pa, "UPDATE approvals SET id = 'qqqq' || substr(id, 5) WHERE id = ?", first)
    _sql(pa, "UPDATE approvals SET id = 'qqqq' || substr(id, 5) WHERE id = ?", second)
    ids = sorted(str(row[0]) for row in _sql(pa, "SELECT id FROM approvals"))
    for verb in ("approve", "deny"):
        result = pa(verb, "qqqq")
        assert result.returncode == EXIT_USAGE
        assert result.stderr.startswith(f"error: approval prefix 'qqqq' matches several: {', '.join(ids)};")
    assert _sql(pa, "SELECT DISTINCT status FROM approvals") == [("pending",)]


def test_token_revoke_takes_a_prefix(pa: PaRunner) -> None:
    pa.extra_env.update({"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "pw"})
    created = json.loads(pa("serve", "token", "create", "--name", "phone", "--json").stdout)
    revoked = pa("serve", "token", "revoke", created["id"][:6])
    assert revoked.returncode == EXIT_OK, revoked.stderr
    assert revoked.stdout.strip() == f"revoked token {created['id']} (phone)"
    (row,) = json.loads(pa("serve", "token", "list", "--json").stdout)
    assert row["revoked_at"] is not None
    unknown = pa("serve", "token", "revoke", "ffffffff")
    assert unknown.returncode == EXIT_USAGE
    assert unknown.stderr == "error: no token 'ffffffff' (see `pa serve token list`)\n"


def test_tool_runs_are_not_listed_as_chat_sessions(llm: FakeLLM, pa: PaRunner) -> None:
    ran = pa("tools", "run", "fs_write", "--args", '{"path": "/a.md", "content": "x"}')
    assert ran.returncode == EXIT_OK, ran.stderr
    assert _sql(pa, "SELECT kind FROM sessions") == [("tool_run",)]  # recorded, for approvals and audit
    assert json.loads(pa("history", "list", "--json").stdout) == []
    chat = _ask(pa, llm, "hello there")
    listed = json.loads(pa("history", "list", "--json").stdout)
    assert [(s["id"], s["title"]) for s in listed] == [(chat["session_id"], "hello there")]


def test_a_failed_turn_is_listed_with_its_message_as_title(llm: FakeLLM, pa: PaRunner) -> None:
    assert pa("config", "set", "llm.max_retries", "0").returncode == EXIT_OK
    llm.fail(500, times=5)
    failed = pa("ask", "what is on my calendar today?")
    assert failed.returncode != EXIT_OK
    (session,) = json.loads(pa("history", "list", "--json").stdout)
    assert session["title"] == "what is on my calendar today?"
