"""Shell completion through Click's protocol on the real `pa`: config keys, tool names, session ids."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tests.cli.test_startup import HEAVY
from tests.conftest import PaRunner
from tests.tools.conftest import plugin_site_dir  # noqa: F401  (fixture)

if TYPE_CHECKING:
    from pa_cli.store import Store


def _complete(pa: PaRunner, line: str, env: dict[str, str] | None = None) -> list[str]:
    """What bash would offer for ``line`` (the last word is the one being completed)."""
    words = line.split(" ")
    result = pa(
        env={
            "_PA_COMPLETE": "complete_bash",
            "COMP_WORDS": line,
            "COMP_CWORD": str(len(words) - 1),
            **(env or {}),
        }
    )
    assert result.returncode == 0, result.stderr
    return [word for word in result.stdout.splitlines() if word]  # nothing to offer is one empty line


def test_config_keys_complete(pa: PaRunner) -> None:
    assert _complete(pa, "pa config get ag") == ["agent.max_steps"]
    assert _complete(pa, "pa config unset approvals.") == ["approvals.expire_hours"]
    assert _complete(pa, "pa config set llm.ba") == ["llm.base_url"]
    assert _complete(pa, "pa config set tools.policy.fs_w") == ["tools.policy.fs_write"]


def test_tool_names_complete_with_plugins_as_they_are_installed(pa: PaRunner, plugin_site_dir: Path) -> None:  # noqa: F811
    assert _complete(pa, "pa tools run gmail_s") == ["gmail_search", "gmail_send"]
    assert _complete(pa, "pa tools run word") == []
    with_plugin = {"PYTHONPATH": str(plugin_site_dir)}
    assert _complete(pa, "pa tools run word", env=with_plugin) == ["word_count"]  # the cache followed


def test_authorize_completes_the_google_services(pa: PaRunner) -> None:
    assert _complete(pa, "pa tools authorize ca") == ["calendar"]
    assert _complete(pa, "pa tools authorize c") == ["calendar", "contacts"]
    assert sorted(_complete(pa, "pa tools authorize ")) == ["calendar", "contacts", "gmail"]


def test_session_ids_complete_for_ask_chat_and_history(pa: PaRunner, store: Store) -> None:
    user = store.users.local_user()
    chat = store.sessions.create(user.id, title="groceries")
    store.sessions.create(user.id, title="pa tools run fs_write", kind="tool_run")
    other = store.sessions.create(store.users.ensure("someone-else").id, title="not mine")
    for line in ("pa ask -s ", "pa chat --session ", "pa history show "):
        assert _complete(pa, line) == [chat.id], line
    assert _complete(pa, f"pa history show {chat.id[:5]}") == [chat.id]
    assert _complete(pa, f"pa history show {other.id[:8]}") == []


def test_session_completion_needs_no_database_and_never_creates_one(pa: PaRunner) -> None:
    assert _complete(pa, "pa ask -s ") == []
    assert not (Path(pa.env()["PA_HOME"]) / "data" / "pa.db").exists()


def test_completion_imports_no_orm_and_no_heavy_library(pa: PaRunner, store: Store) -> None:
    store.sessions.create(store.users.local_user().id, title="x")
    probe = (
        "import json, sys\n"
        "from pa_cli.cli.app import run\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('MODULES=' + json.dumps(sorted(sys.modules)) + '\\n')\n"
    )
    for line in ("pa config get ", "pa ask -s ", "pa history show "):
        env = pa.env(_PA_COMPLETE="complete_bash", COMP_WORDS=line, COMP_CWORD=str(len(line.split(" ")) - 1))
        proc = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60, check=False
        )
        modules = json.loads(proc.stderr.split("MODULES=")[1])
        # (Typer's completion itself loads pydantic; the ORM, rich and the rest must stay out.)
        heavy = [
            m for m in modules if m.split(".")[0] in ("sqlalchemy", "sqlmodel", "rich", "keyring", *HEAVY)
        ]
        assert heavy == [], line
        assert proc.stdout.strip(), line  # it did complete something


def test_local_user_name_of_completion_is_the_store_s() -> None:
    from pa_cli.cli.completion import LOCAL_USER_NAME
    from pa_cli.store.repositories.users import LOCAL_USER_NAME as STORE_LOCAL_USER

    assert LOCAL_USER_NAME == STORE_LOCAL_USER
