"""Policies set with `pa config set` (so read from config.toml by a fresh process), through the real `pa`."""

from __future__ import annotations

import json

import pytest

from tests.conftest import PaRunner


@pytest.fixture(autouse=True)
def _file_secrets(pa: PaRunner) -> None:
    pa.extra_env.update({"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "pw"})


def _listed(pa: PaRunner) -> set[str]:
    listed = pa("tools", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return {t["name"] for t in json.loads(listed.stdout)["tools"]}


def test_policy_deny_from_config_hides_the_tool_and_refuses_a_direct_run(pa: PaRunner) -> None:
    assert "fs_write" in _listed(pa)
    assert pa("config", "set", "tools.policy.fs_write", "deny").returncode == 0
    assert "fs_write" not in _listed(pa)
    refused = pa("tools", "run", "fs_write", "--args", '{"path": "/a.md", "content": "x"}')
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: ") and "fs_write" in refused.stderr
    assert pa("tools", "run", "fs_read", "--args", '{"path": "/a.md"}').returncode == 1  # never written


def test_draft_only_from_config_hides_gmail_send_only(pa: PaRunner) -> None:
    assert {"gmail_send", "gmail_draft"} <= _listed(pa)
    assert pa("config", "set", "gmail.mode", "draft_only").returncode == 0
    names = _listed(pa)
    assert "gmail_send" not in names and "gmail_draft" in names


def test_policy_allow_from_config_runs_a_side_effect_without_asking(pa: PaRunner) -> None:
    assert pa("config", "set", "tools.policy.system_prompt_update", "allow").returncode == 0
    ran = pa("tools", "run", "system_prompt_update", "--args", '{"text": "Be brief."}')
    assert ran.returncode == 0, ran.stderr
    assert "pa approve" not in ran.stderr
    assert "Be brief." in pa("tools", "run", "system_prompt_show").stdout
