"""`pa ask` sends its LLM request before it loads anything heavy, and a plain answer never loads the ORM.

The real command runs under tests/cli/import_probe.py, an audit hook that records, in the order they
happen in any thread, the first import of each watched package and each LLM request handed to BAML.
A plain answer is written with stdlib sqlite3; a turn that calls a tool opens the ORM store after
its request went out. Either way the turn is in the history afterwards, read back through the ORM.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.conftest import PaRunner

PROBE = Path(__file__).with_name("import_probe.py")
NEVER = ("textual", "fastapi", "googleapiclient", "alembic")


def _probed_ask(pa: PaRunner, tmp_path: Path, *args: str) -> list[str]:
    out = tmp_path / "order.txt"
    result = subprocess.run(
        [sys.executable, str(PROBE), str(out), "ask", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env=pa.env(),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return out.read_text(encoding="utf-8").splitlines()


def _assert_request_first(events: list[str]) -> None:
    assert "request" in events, events
    first_request = events.index("request")
    loaded_before = [e for e in events[:first_request] if e.startswith("import ")]
    assert loaded_before == [], f"imported before the LLM request was sent: {loaded_before}"
    assert not [e for e in events if e.removeprefix("import ") in NEVER]


def _assert_no_orm(events: list[str]) -> None:
    assert "import sqlalchemy" not in events and "import sqlmodel" not in events, events


def test_new_session_request_goes_out_before_the_orm_loads(
    fake_llm: FakeLLM, pa: PaRunner, tmp_path: Path
) -> None:
    pa.extra_env.update(fake_llm.env("openai-generic"))
    fake_llm.reply_text(thinking("first"))
    assert pa("ask", "create the database").returncode == 0  # migrations ran: the light path applies
    fake_llm.reply_text(thinking("pong"), chunk_size=2)
    events = _probed_ask(pa, tmp_path, "ping")
    _assert_request_first(events)
    _assert_no_orm(events)
    listed = json.loads(pa("history", "list", "--json").stdout)
    shown = json.loads(pa("history", "show", listed[0]["id"], "--json").stdout)
    assert [(m["role"], m["content"]) for m in shown["messages"]] == [("user", "ping"), ("assistant", "pong")]


def test_continued_session_sends_its_history_before_the_orm_loads(
    fake_llm: FakeLLM, pa: PaRunner, tmp_path: Path
) -> None:
    pa.extra_env.update(fake_llm.env("openai-generic"))
    fake_llm.reply_text(thinking("The code word is heron."))
    assert pa("ask", "remember the code word heron").returncode == 0
    fake_llm.reply_text(thinking("heron"))
    events = _probed_ask(pa, tmp_path, "-c", "what was the code word?")
    _assert_request_first(events)
    _assert_no_orm(events)
    prompt = fake_llm.last_request.prompt_text
    assert "remember the code word heron" in prompt and "The code word is heron." in prompt
    listed = json.loads(pa("history", "list", "--json").stdout)
    assert len(listed) == 1
    shown = json.loads(pa("history", "show", listed[0]["id"], "--json").stdout)
    assert [m["role"] for m in shown["messages"]] == ["user", "assistant", "user", "assistant"]


def test_a_turn_that_calls_a_tool_opens_the_orm_after_its_request(
    fake_llm: FakeLLM, pa: PaRunner, tmp_path: Path
) -> None:
    """The tool's run, its audit row and its message need the whole store: it opens, in order."""
    pa.extra_env.update(fake_llm.env("openai-generic"))
    fake_llm.reply_text(thinking("first"))
    assert pa("ask", "create the database").returncode == 0
    fake_llm.reply_text(thinking(None, ("plan_update", {"steps": [{"title": "pack", "status": "pending"}]})))
    fake_llm.reply_text(thinking("planned"))
    events = _probed_ask(pa, tmp_path, "plan my trip")
    _assert_request_first(events)
    assert "import sqlalchemy" in events
    assert events.index("import sqlalchemy") > events.index("request")
    listed = json.loads(pa("history", "list", "--json").stdout)
    shown = json.loads(pa("history", "show", listed[0]["id"], "--json").stdout)
    assert [m["role"] for m in shown["messages"]] == ["user", "tool", "assistant"]
    assert shown["messages"][2]["content"] == "planned"
    audit = json.loads(pa("audit", "--json").stdout)
    assert [(row["tool"], row["outcome"], row["session_id"]) for row in audit] == [
        ("plan_update", "executed", listed[0]["id"]),
        ("plan_update", "executing", listed[0]["id"]),
    ]


def test_first_run_takes_the_orm_path_and_migrates(fake_llm: FakeLLM, pa: PaRunner, tmp_path: Path) -> None:
    """No database yet: nothing to read lightly; the store is created and migrated first, as before."""
    pa.extra_env.update(fake_llm.env("openai-generic"))
    fake_llm.reply_text(thinking("hello"))
    events = _probed_ask(pa, tmp_path, "hi")
    assert "request" in events and "import sqlalchemy" in events
    assert events.index("import sqlalchemy") < events.index("request")
    assert json.loads(pa("history", "list", "--json").stdout)[0]["title"] == "hi"
