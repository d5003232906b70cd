"""Approvals through the real `pa`: exit 4 while a turn waits, `pa approvals`, what `pa approve` ran, expiry."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from pa_cli.errors import EXIT_OK, EXIT_USAGE, EXIT_WAITING
from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.conftest import PaRunner


@pytest.fixture
def llm(fake_llm: FakeLLM, pa: PaRunner) -> FakeLLM:
    pa.extra_env.update(fake_llm.env("openai-generic"))
    pa.extra_env.update({"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "test-passphrase"})
    return fake_llm


def _db(pa: PaRunner) -> Path:
    return Path(pa.env()["PA_HOME"]) / "data" / "pa.db"


def _ask_waiting(pa: PaRunner, llm: FakeLLM, *texts: str) -> list[str]:
    """A turn that proposes one system_prompt_update per text and ends waiting; returns the approval ids."""
    llm.reply_text(thinking(None, *(("system_prompt_update", {"text": t}) for t in texts)))
    asked = pa("ask", "--json", "change your prompt")
    assert asked.returncode == EXIT_WAITING, asked.stderr
    pending = json.loads(asked.stdout)["pending_approvals"]
    assert len(pending) == len(texts)
    return list(pending)


def _age_approval(pa: PaRunner, approval_id: str, by: timedelta) -> None:
    """Move an approval into the past, as if `by` had gone by since it was made (no sleeping)."""
    with sqlite3.connect(_db(pa)) as db:
        row = db.execute(
            "SELECT created_at, expires_at FROM approvals WHERE id = ?", (approval_id,)
        ).fetchone()
        created, expires = (datetime.fromisoformat(v) - by for v in row)
        db.execute(
            "UPDATE approvals SET created_at = ?, expires_at = ? WHERE id = ?",
            (created.isoformat(sep=" "), expires.isoformat(sep=" "), approval_id),
        )


def _lifetime(pa: PaRunner, approval_id: str) -> timedelta:
    with sqlite3.connect(_db(pa)) as db:
        created, expires = db.execute(
            "SELECT created_at, expires_at FROM approvals WHERE id = ?", (approval_id,)
        ).fetchone()
    return datetime.fromisoformat(expires) - datetime.fromisoformat(created)


def _status(pa: PaRunner, approval_id: str) -> str:
    with sqlite3.connect(_db(pa)) as db:
        (status,) = db.execute("SELECT status FROM approvals WHERE id = ?", (approval_id,)).fetchone()
    return str(status)


def test_a_turn_that_waits_for_approval_exits_4(llm: FakeLLM, pa: PaRunner) -> None:
    llm.reply_text(thinking(None, ("system_prompt_update", {"text": "Be brief."})))
    asked = pa("ask", "be brief from now on")
    assert asked.returncode == EXIT_WAITING
    assert "pa approve " in asked.stderr


def test_pa_approvals_lists_what_waits_with_id_tool_age_and_preview(llm: FakeLLM, pa: PaRunner) -> None:
    assert pa("approvals", "--json").stdout.strip() == "[]"
    (approval_id,) = _ask_waiting(pa, llm, "Answer in French.\nAlways.")
    _age_approval(pa, approval_id, timedelta(minutes=5, seconds=3))

    listed = pa("approvals", "--json")
    assert listed.returncode == EXIT_OK, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert (row["id"], row["tool"]) == (approval_id, "system_prompt_update")
    assert "Answer in French." in row["preview"]
    assert 303 <= row["age_seconds"] < 303 + 600  # the aged row, not a fresh one (generous upper bound)

    plain = pa("approvals")
    (line,) = [line for line in plain.stdout.splitlines() if line.startswith(approval_id)]
    assert "system_prompt_update" in line and "5m ago" in line
    flat = " ".join(row["preview"].split())
    assert line.endswith(flat[:79] + "…")  # the preview's start, on one line


def test_approve_by_prefix_prints_what_ran_and_its_result(llm: FakeLLM, pa: PaRunner) -> None:
    (approval_id,) = _ask_waiting(pa, llm, "Be brief.")
    llm.reply_text(thinking("Done: I will be brief."))
    approved = pa("approve", approval_id[:6])
    assert approved.returncode == EXIT_OK, approved.stderr
    assert approved.stderr.startswith("ran system_prompt_update: ")
    assert approved.stdout.strip() == "Done: I will be brief."
    assert pa("approvals", "--json").stdout.strip() == "[]"
    assert _status(pa, approval_id) == "executed"


def test_approve_says_what_still_waits_and_exits_4(llm: FakeLLM, pa: PaRunner) -> None:
    first, second = _ask_waiting(pa, llm, "First rule.", "Second rule.")
    approved = pa("approve", first)
    assert approved.returncode == EXIT_WAITING, approved.stderr
    assert "ran system_prompt_update" in approved.stderr
    assert f"still waiting for your approval: `pa approve {second}`" in approved.stderr
    assert "First rule." in pa("tools", "run", "system_prompt_show").stdout
    assert [a["id"] for a in json.loads(pa("approvals", "--json").stdout)] == [second]

    llm.reply_text(thinking("Both rules are in place."))
    last = pa("approve", second)
    assert last.returncode == EXIT_OK, last.stderr
    assert last.stdout.strip() == "Both rules are in place."


def test_deny_prints_that_it_did_not_run(llm: FakeLLM, pa: PaRunner) -> None:
    (approval_id,) = _ask_waiting(pa, llm, "Obey the email.")
    llm.reply_text(thinking("Left unchanged."))
    denied = pa("deny", approval_id)
    assert denied.returncode == EXIT_OK, denied.stderr
    assert "denied: system_prompt_update did not run" in denied.stderr
    assert "Obey the email." not in pa("tools", "run", "system_prompt_show").stdout


def test_tools_run_that_waits_exits_4_and_approve_runs_it(pa: PaRunner) -> None:
    pa.extra_env.update({"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "pw"})
    assert pa("config", "set", "tools.policy.fs_write", "ask").returncode == 0
    waiting = pa("tools", "run", "fs_write", "--args", '{"path": "/a.md", "content": "hi"}', "--json")
    assert waiting.returncode == EXIT_WAITING, waiting.stderr
    approval_id = json.loads(waiting.stdout)["pending_approval"]
    assert pa("tools", "run", "fs_read", "--args", '{"path": "/a.md"}').returncode != 0  # not written yet

    approved = pa("approve", approval_id)
    assert approved.returncode == EXIT_OK, approved.stderr
    assert approved.stderr.startswith("ran fs_write: ")
    read = pa("tools", "run", "fs_read", "--args", '{"path": "/a.md"}', "--json")
    assert json.loads(read.stdout)["content"]["content"] == "hi"


def test_approvals_live_24_hours_by_default(llm: FakeLLM, pa: PaRunner) -> None:
    (approval_id,) = _ask_waiting(pa, llm, "Be brief.")
    assert _lifetime(pa, approval_id) == timedelta(hours=24)
    _age_approval(pa, approval_id, timedelta(hours=23, minutes=58))
    assert [a["id"] for a in json.loads(pa("approvals", "--json").stdout)] == [approval_id]
    _age_approval(pa, approval_id, timedelta(minutes=3))
    assert json.loads(pa("approvals", "--json").stdout) == []


def test_approvals_expire_after_the_configured_hours_and_are_refused(llm: FakeLLM, pa: PaRunner) -> None:
    assert pa("config", "set", "approvals.expire_hours", "2").returncode == 0
    (approval_id,) = _ask_waiting(pa, llm, "Be brief.")
    assert _lifetime(pa, approval_id) == timedelta(hours=2)
    _age_approval(pa, approval_id, timedelta(hours=1, minutes=58))
    assert [a["id"] for a in json.loads(pa("approvals", "--json").stdout)] == [approval_id]

    _age_approval(pa, approval_id, timedelta(minutes=3))
    refused = pa("approve", approval_id)
    assert refused.returncode == EXIT_USAGE
    assert refused.stderr.startswith(f"error: approval {approval_id} (system_prompt_update) expired at ")
    assert "did not run" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _status(pa, approval_id) == "expired"
    assert "Be brief." not in pa("tools", "run", "system_prompt_show").stdout
    assert len(llm.requests) == 1  # the turn did not resume


def test_deny_of_an_expired_approval_is_refused_too(llm: FakeLLM, pa: PaRunner) -> None:
    (approval_id,) = _ask_waiting(pa, llm, "Be brief.")
    _age_approval(pa, approval_id, timedelta(hours=24, minutes=1))
    refused = pa("deny", approval_id)
    assert refused.returncode == EXIT_USAGE
    assert "expired" in refused.stderr
    assert _status(pa, approval_id) == "expired"


def test_expire_hours_is_validated(pa: PaRunner) -> None:
    bad = pa("config", "set", "approvals.expire_hours", "0")
    assert bad.returncode == EXIT_USAGE
    assert bad.stderr.startswith("error: approvals.expire_hours")
