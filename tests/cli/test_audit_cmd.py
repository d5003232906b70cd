"""`pa audit` and `pa audit verify` on a ledger written by real tool runs, then tampered with."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from pa_cli.config import load_settings
from pa_cli.secrets import open_secret_store
from pa_cli.store import open_store
from pa_cli.store.audit_anchor import anchor_name
from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.conftest import PaRunner
from tests.fixtures.secrets import SecretService


@pytest.fixture
def ledger(fake_llm: FakeLLM, pa: PaRunner) -> str:
    """Five audit rows from real tool runs: four in one `pa ask` session, then one `pa tools run`.
    Returns the session id."""
    pa.extra_env.update(fake_llm.env())
    fake_llm.reply_text(
        thinking(
            None,
            ("fs_write", {"path": "/notes/a.md", "content": "one"}),
            ("fs_write", {"path": "/notes/b.md", "content": "two"}),
        )
    )
    fake_llm.reply_text(thinking(None, ("fs_read", {"path": "/notes/a.md"}), ("fs_list", {"path": "/notes"})))
    fake_llm.reply_text(thinking("Done."))
    asked = pa("ask", "--json", "write two notes and look at them")
    assert asked.returncode == 0, asked.stderr
    ran = pa("tools", "run", "fs_read", "--args", '{"path": "/notes/b.md"}')
    assert ran.returncode == 0, ran.stderr
    session_id: str = json.loads(asked.stdout)["session_id"]
    return session_id


def _sql(statement: str) -> None:
    with open_store(load_settings()) as store, store.engine.begin() as connection:
        connection.execute(text(statement))


def _rows(pa: PaRunner, *args: str) -> list[dict[str, object]]:
    result = pa("audit", "--json", *args)
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


@pytest.mark.usefixtures("file_secret_store_env")
def test_audit_lists_the_ledger_newest_first_with_filters(ledger: str, pa: PaRunner) -> None:
    rows = _rows(pa)
    # five calls, each a begin row (executing) and a closing row (executed)
    tools = ["fs_read", "fs_list", "fs_read", "fs_write", "fs_write"]
    assert [r["tool"] for r in rows] == [tool for tool in tools for _ in range(2)]
    assert [r["id"] for r in rows] == list(range(10, 0, -1))
    assert [r["outcome"] for r in rows] == ["executed", "executing"] * 5
    assert [r["id"] for r in _rows(pa, "--tool", "fs_write")] == [4, 3, 2, 1]
    assert [r["id"] for r in _rows(pa, "--session", ledger)] == list(range(8, 0, -1))
    today = date.today()
    assert len(_rows(pa, "--since", today.isoformat(), "--until", today.isoformat())) == 10
    assert _rows(pa, "--until", (today - timedelta(days=1)).isoformat()) == []
    assert _rows(pa, "--since", (today + timedelta(days=1)).isoformat()) == []

    plain = pa("audit", "--tool", "fs_write")
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["4", "3", "2", "1"]
    assert lines[0].split("\t")[2:5] == ["fs_write", "executed", "cli"]


@pytest.mark.usefixtures("file_secret_store_env")
def test_audit_bad_dates_are_usage_errors(pa: PaRunner) -> None:
    result = pa("audit", "--since", "yesterday")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --since wants a date as YYYY-MM-DD, not 'yesterday'"


@pytest.mark.usefixtures("file_secret_store_env")
def test_verify_passes_on_a_real_ledger(ledger: str, pa: PaRunner) -> None:
    result = pa("audit", "verify")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok: the audit log is intact: 10 rows, up to row 10"


@pytest.mark.usefixtures("file_secret_store_env")
def test_verify_fails_after_a_row_is_changed(ledger: str, pa: PaRunner) -> None:
    _sql("UPDATE audit_log SET outcome = 'denied' WHERE id = 2")
    result = pa("audit", "verify")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: row 2: its content does not match its hash: the row was changed"


@pytest.mark.usefixtures("file_secret_store_env")
def test_verify_fails_after_a_row_is_removed_from_the_middle(ledger: str, pa: PaRunner) -> None:
    _sql("DELETE FROM audit_log WHERE id = 3")
    result = pa("audit", "verify")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: row 4: does not follow row 2: a row before it was removed or changed"
    )


@pytest.mark.usefixtures("file_secret_store_env")
def test_verify_fails_after_the_newest_rows_are_deleted(ledger: str, pa: PaRunner) -> None:
    _sql("DELETE FROM audit_log WHERE id >= 4")
    # The chain that is left checks out on its own: only the anchor shows what is gone.
    with open_store(load_settings()) as store:
        assert store.audit.find_break() is None
    result = pa("audit", "verify")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: row 10 is missing: the anchor records it as the newest row, but the log ends at row 3 "
        "(the newest rows were deleted)"
    )


@pytest.mark.usefixtures("file_secret_store_env")
def test_verify_fails_when_the_anchor_is_removed(ledger: str, pa: PaRunner) -> None:
    settings = load_settings()
    open_secret_store(settings.app_paths).delete(anchor_name(settings.database_url))
    result = pa("audit", "verify")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: the anchor of the audit log's tip is missing from the secret store, so removed newest rows "
        "cannot be ruled out (the log has 10 rows up to row 10;"
    )


@pytest.mark.usefixtures("file_secret_store_env")
def test_verify_json(ledger: str, pa: PaRunner) -> None:
    _sql("DELETE FROM audit_log WHERE id = 10")
    result = pa("audit", "verify", "--json")
    assert result.returncode == 1
    verdict = json.loads(result.stdout)
    assert verdict["ok"] is False and verdict["first_bad_row"] == 10 and verdict["rows"] == 9


def test_the_anchor_lives_in_the_os_keyring_when_there_is_one(
    secret_service: SecretService, ledger: str, pa: PaRunner
) -> None:
    settings = load_settings()
    stored = open_secret_store(settings.app_paths).get(anchor_name(settings.database_url))
    assert stored is not None and json.loads(stored)["row_id"] == 10
    assert not settings.app_paths.secrets_file.exists()
    assert pa("audit", "verify").returncode == 0
    _sql("DELETE FROM audit_log WHERE id = 10")
    result = pa("audit", "verify")
    assert result.returncode == 1
    assert result.stderr.startswith("error: row 10 is missing")
