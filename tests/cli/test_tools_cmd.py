"""`pa tools list` and `pa tools run` through the real command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.import_probe import run_probed
from tests.conftest import PaRunner


@pytest.fixture(autouse=True)
def _file_secrets(pa: PaRunner) -> None:
    pa.extra_env.update({"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "pw"})


def test_tools_list_json_has_every_contract_tool_and_authorization(pa: PaRunner) -> None:
    listed = pa("tools", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    tools = {t["name"]: t for t in json.loads(listed.stdout)["tools"]}
    expected = {
        "plan_update", "plan_show", "fs_list", "fs_read", "fs_write", "fs_delete",
        "system_prompt_show", "system_prompt_update", "gmail_search", "gmail_read", "gmail_draft",
        "gmail_send", "calendar_list_events", "calendar_free_busy", "calendar_create_event",
        "calendar_update_event", "calendar_delete_event",
    }  # fmt: skip
    assert expected <= set(tools)
    assert tools["fs_write"]["authorized"] is True
    assert tools["gmail_send"]["authorized"] is False
    assert "pa tools authorize gmail" in tools["gmail_send"]["note"]
    assert tools["fs_write"]["schema"]["required"] == ["path", "content"]


def test_tools_list_table_marks_unauthorized_tools(pa: PaRunner) -> None:
    listed = pa("tools", "list")
    assert listed.returncode == 0, listed.stderr
    line = next(line for line in listed.stdout.splitlines() if line.startswith("gmail_search"))
    assert "not authorized" in line and "pa tools authorize gmail" in line


def test_tools_list_reads_the_grants_without_the_orm_once_the_database_is_at_head(
    pa: PaRunner, tmp_path: Path
) -> None:
    """A new home has no database: the Store creates it. After that, the light read is enough."""
    first, imported = run_probed(pa.env(), tmp_path / "first.txt", "tools", "list", "--json")
    assert first.returncode == 0, first.stderr
    assert "import sqlalchemy" in imported  # nothing to read lightly yet: the ORM path migrated
    again, imported = run_probed(pa.env(), tmp_path / "again.txt", "tools", "list", "--json")
    assert again.returncode == 0, again.stderr
    assert not [event for event in imported if event.startswith("import ")], imported
    assert json.loads(again.stdout) == json.loads(first.stdout)  # the same list, the same grants


def test_draft_only_mode_hides_gmail_send(pa: PaRunner) -> None:
    pa("config", "set", "gmail.mode", "draft_only")
    names = [t["name"] for t in json.loads(pa("tools", "list", "--json").stdout)["tools"]]
    assert "gmail_send" not in names and "gmail_draft" in names


def test_tools_run_writes_and_reads_the_virtual_file_system(pa: PaRunner) -> None:
    wrote = pa("tools", "run", "fs_write", "--args", '{"path": "notes/a.md", "content": "hello"}')
    assert wrote.returncode == 0, wrote.stderr
    read = pa("tools", "run", "fs_read", "--args", '{"path": "/notes/a.md"}', "--json")
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout)["content"]["content"] == "hello"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fs_read", "--args", "{not json"], "not valid JSON"),
        (["fs_read", "--args", "[1, 2]"], "must be a JSON object"),
        (["fs_read", "--args", '{"nope": 1}'], "fs_read: path"),
        (["teleport"], "no tool named 'teleport'"),
    ],
)
def test_tools_run_bad_input_is_a_one_line_usage_error(pa: PaRunner, args: list[str], message: str) -> None:
    result = pa("tools", "run", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_tools_run_side_effect_waits_for_approval(pa: PaRunner) -> None:
    result = pa("tools", "run", "system_prompt_update", "--args", '{"text": "Speak like a pirate."}')
    assert result.returncode == 4, result.stderr  # waiting for approval
    approval_id = result.stderr.split("pa approve ")[1].split("`")[0]
    assert "Speak like a pirate." in result.stderr
    assert "pirate" not in pa("tools", "run", "system_prompt_show").stdout
    approved = pa("approve", approval_id)
    assert approved.returncode == 0, approved.stderr
    assert "pirate" in pa("tools", "run", "system_prompt_show").stdout


def test_tools_run_unauthorized_google_tool_exits_3(pa: PaRunner) -> None:
    result = pa("tools", "run", "gmail_search", "--args", '{"query": "from:boss"}')
    assert result.returncode == 3
    assert "pa tools authorize gmail" in result.stderr


@pytest.mark.parametrize(
    "raw",
    ['{"path": "/a\\ud800.md", "content": "x"}', '{"path": "/a.md", "content": "x\\udc00y"}'],
)
def test_tools_run_with_a_lone_surrogate_is_a_usage_error(pa: PaRunner, raw: str) -> None:
    result = pa("tools", "run", "fs_write", "--args", raw)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: fs_write: ")
    assert "contains invalid Unicode (a lone surrogate" in result.stderr
    assert "unexpected failure" not in result.stderr and "Traceback" not in result.stderr


def _listed(pa: PaRunner) -> dict[str, list[str]]:
    listed = pa("tools", "list")
    assert listed.returncode == 0, listed.stderr
    return {line.split("\t")[0]: line.split("\t")[1:] for line in listed.stdout.splitlines()}


def test_tools_list_shows_the_effective_policy_and_a_description(pa: PaRunner) -> None:
    rows = _listed(pa)
    assert rows["system_prompt_update"][0] == "asks first"
    assert rows["fs_write"][0] == "allow"
    assert rows["fs_write"][2].startswith("Create or replace a text file")
    assert "\n" not in rows["fs_write"][2] and len(rows["fs_write"][2]) <= 80

    pa("config", "set", "tools.policy.system_prompt_update", "allow")
    pa("config", "set", "tools.policy.fs_write", "ask")
    pa("config", "set", "tools.policy.fs_delete", "deny")
    pa("config", "set", "gmail.mode", "draft_only")
    listed = pa("tools", "list")
    rows = _listed(pa)
    assert rows["system_prompt_update"][0] == "allow"  # no longer "asks first"
    assert rows["fs_write"][0] == "asks first"
    assert rows["fs_delete"][:2] == ["deny", "  (tools.policy.fs_delete = deny)"]
    assert rows["gmail_send"][:2] == ["draft only", "  (gmail.mode = draft_only)"]
    assert listed.stderr == (
        "allow runs a tool without asking, except a side effect while untrusted content"
        " (mail, calendar text, MCP output) is in the conversation: then pa asks first.\n"
    )


def test_tools_list_json_carries_the_policy_and_what_is_hidden(pa: PaRunner) -> None:
    pa("config", "set", "tools.policy.fs_delete", "deny")
    data = json.loads(pa("tools", "list", "--json").stdout)
    policies = {t["name"]: t["policy"] for t in data["tools"]}
    assert (policies["fs_read"], policies["gmail_send"]) == ("allow", "ask")
    assert data["hidden"] == [{"name": "fs_delete", "reason": "tools.policy.fs_delete = deny"}]


def test_tools_list_on_a_terminal_is_a_table_with_policy_and_description(pa: PaRunner) -> None:
    import re
    import subprocess
    import sys

    pa("config", "set", "tools.policy.fs_delete", "deny")
    shown = subprocess.run(
        ["script", "-qec", f"stty cols 120; {sys.executable} -m pa_cli tools list", "/dev/null"],
        # the terminal's own width, not a COLUMNS inherited from the test runner
        env={k: v for k, v in pa.env().items() if k not in ("COLUMNS", "LINES")},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shown.returncode == 0, shown.stdout
    lines = [re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", line).rstrip() for line in shown.stdout.splitlines()]
    assert any(
        re.match(r"system_prompt_update +asks first +yes +Replace the user's system prompt", x) for x in lines
    )
    assert any(re.match(r"fs_delete +deny +tools\.policy\.fs_delete = deny +not offered", x) for x in lines)
    assert any(x.startswith("allow runs a tool without asking, except a side effect") for x in lines)
