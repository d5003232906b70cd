"""The audit anchor: checkpoints never go backwards, and concurrent writers leave it at the tip."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pa_cli.config import load_settings
from pa_cli.secrets import open_secret_store
from pa_cli.store.audit_anchor import Checkpoint, SecretStoreAnchor
from tests.conftest import PaRunner


@pytest.mark.usefixtures("file_secret_store_env")
def test_a_late_older_checkpoint_does_not_replace_a_newer_one() -> None:
    settings = load_settings()
    anchor = SecretStoreAnchor(
        lambda: open_secret_store(settings.app_paths),
        "audit.anchor.test",
        settings.app_paths.data_dir / "a.lock",
    )
    anchor.advance(Checkpoint(row_id=7, row_hash="h7", rows=7))
    anchor.advance(Checkpoint(row_id=6, row_hash="h6", rows=6))  # a slower writer, committed earlier
    anchor.flush()
    assert anchor.read() == Checkpoint(row_id=7, row_hash="h7", rows=7)
    anchor.close()


@pytest.mark.usefixtures("file_secret_store_env")
def test_parallel_tool_runs_leave_a_ledger_that_verifies(pa: PaRunner) -> None:
    assert pa("tools", "run", "fs_list").returncode == 0  # the database and secrets file exist first
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pa_cli",
                "tools",
                "run",
                "fs_write",
                "--args",
                f'{{"path": "/{n}", "content": "x"}}',
            ],
            env=pa.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(6)
    ]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    result = pa("audit", "verify")
    assert result.returncode == 0, result.stderr
    # seven calls, each a begin row (executing) and a closing row (executed)
    assert result.stdout.strip() == "ok: the audit log is intact: 14 rows, up to row 14"
