"""Every side-effecting tool of the registry x every policy (ask, allow, deny) x `pa tools run` / `pa ask`.

The tools are read from the registry (``ToolRegistry.load``), not listed by hand: a side-effecting tool
added tomorrow enters the matrix at once (and fails ``test_every_side_effecting_tool_has_an_example``
until it is given example arguments and a way to see its effect). Each cell runs the real `pa` in a
subprocess against the fake Google on loopback, with the policy written to config.toml as
`pa config set` writes it, and checks the effect exactly: absent for ask (the call waits, exit 4) and
deny (refused and audited ``refused``), present once for allow (audited begin and close).

The home is set up and authorized once per module through the real commands, and each test works on
a copy of it (a directory copy costs milliseconds; the set-up, half a dozen `pa` processes).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pa_cli.testing.fake_google import FakeGoogle
from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.conftest import _PA_ENV_PREFIXES, PaRunner
from tests.google.test_cli_e2e import authorize

POLICIES = ("ask", "allow", "deny")


def side_effecting_tools() -> list[str]:
    from pa_cli.config import load_settings
    from pa_cli.tools.registry import ToolRegistry

    registry = ToolRegistry.load(load_settings(), include_mcp=False)
    return sorted(t.name for t in registry.all() if t.side_effect)


def _start() -> datetime:
    return (datetime.now(UTC) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)


class Cell:
    """How to call one tool, and how to see whether it acted (before/after snapshots of the world)."""

    def __init__(self, google: FakeGoogle, pa_home: Path, pa: PaRunner) -> None:
        self.google = google
        self.pa_home = pa_home
        self.pa = pa

    def arguments(self, tool: str) -> dict[str, Any]:
        start = _start()
        if tool == "system_prompt_update":
            return {"text": "Matrix prompt."}
        if tool == "calendar_create_event":
            return {
                "summary": "Matrix meeting",
                "start": start.isoformat(),
                "end": (start + timedelta(hours=1)).isoformat(),
            }
        if tool in ("calendar_update_event", "calendar_delete_event"):
            kept = self.google.add_event("Matrix target", start, start + timedelta(hours=1))
            return {
                "event_id": kept["id"],
                **({"summary": "Renamed"} if tool == "calendar_update_event" else {}),
            }
        if tool == "calendar_respond":
            invite = self.google.add_event(
                "Matrix invite", start, start + timedelta(hours=1),
                attendees=["lee@example.com", self.google.user_email], organizer="lee@example.com",
            )  # fmt: skip
            return {"event_id": invite["id"], "response": "accepted"}
        if tool == "gmail_send":
            return {"to": ["boss@example.com"], "subject": "Matrix", "body": "Numbers."}
        if tool == "gmail_modify":
            kept = self.google.add_message("news@example.com", "me@example.com", "Matrix news", "Weekly.")
            return {"message_ids": [kept.id], "action": "archive"}
        if tool == "gmail_forward":
            kept = self.google.add_message(
                "sam@example.com",
                "me@example.com",
                "Matrix file",
                "Attached.",
                attachments=[("m.txt", b"m", "text/plain")],
            )
            return {"message_id": kept.id, "to": ["boss@example.com"]}
        if tool == "gmail_label_create":
            return {"name": f"Matrix {len(self.google.api_requests)}"}
        if tool == "memory_forget":
            return {"id": self.remember("Matrix fact: the offsite is in Lisbon.")}
        raise KeyError(tool)

    def remember(self, text: str) -> str:
        """A fact added with `pa memory add` (the user's own), and its id."""
        with self._db() as db:
            before = {r[0] for r in db.execute("SELECT id FROM memories")}
        added = self.pa("memory", "add", text)
        assert added.returncode == 0, added.stderr
        with self._db() as db:
            [new] = {r[0] for r in db.execute("SELECT id FROM memories")} - before
        return str(new)

    def world(self) -> tuple[Any, ...]:
        """Everything a side effect could change: Google writes, mail sent, the system prompt."""
        writes = [
            (r.method, r.path)
            for r in self.google.api_requests
            if r.method != "GET" and r.path.startswith(("/gmail/", "/calendar/"))
        ]
        with self._db() as db:
            prompt = db.execute("SELECT system_prompt FROM agent_configs").fetchall()
            memories = db.execute("SELECT id FROM memories ORDER BY id").fetchall()
        return (tuple(writes), len(self.google.sent), tuple(prompt), tuple(memories))

    def audit(self, tool: str) -> list[str]:
        with self._db() as db:
            rows = db.execute("SELECT outcome FROM audit_log WHERE tool = ? ORDER BY id", (tool,)).fetchall()
        return [r[0] for r in rows]

    def _db(self) -> sqlite3.Connection:
        found = list(self.pa_home.rglob("pa.db"))
        assert len(found) == 1, found
        return sqlite3.connect(found[0])


EXAMPLES: dict[str, Callable[[Cell], dict[str, Any]]] = {
    name: (lambda cell, name=name: cell.arguments(name))  # type: ignore[misc]
    for name in (
        "system_prompt_update",
        "calendar_create_event",
        "calendar_update_event",
        "calendar_delete_event",
        "calendar_respond",
        "gmail_send",
        "gmail_modify",
        "gmail_label_create",
        "gmail_forward",
        "memory_forget",
    )
}


def test_every_side_effecting_tool_has_an_example() -> None:
    tools = side_effecting_tools()
    assert len(tools) >= 5
    assert set(tools) <= set(EXAMPLES), (
        f"give these tools example arguments here: {set(tools) - set(EXAMPLES)}"
    )


class _HomeRunner(PaRunner):
    """A `pa` runner whose environment is built here, not taken from a test's (module-scoped set-up runs
    before the autouse isolation, so it must not inherit the developer's PA_* variables)."""

    def __init__(self, base: dict[str, str]) -> None:
        super().__init__()
        self.base = base

    def env(self, **overrides: str) -> dict[str, str]:
        return {**self.base, **self.extra_env, **overrides}


@pytest.fixture(scope="module")
def _matrix_google() -> Iterator[FakeGoogle]:
    """The module's own fake Google: not reset between tests, so the tokens it issued to the
    authorized home below stay valid in every cell (each cell diffs the world before and after)."""
    fake = FakeGoogle()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def _authorized_home(
    _matrix_google: FakeGoogle, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str]]:
    """A home set up and authorized once per module through the real commands (`pa tools setup
    google`, `pa tools authorize` for calendar and gmail with the test playing the browser, `pa config
    set`); each cell works on its own copy. Returns (home, the environment that reaches the fake)."""
    root = tmp_path_factory.mktemp("gate-matrix")
    home = root / "pa-home"
    secrets_file = _matrix_google.client_secrets_json(root / "client_secret.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith(_PA_ENV_PREFIXES)}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env.update(_matrix_google.env(secrets_file))
    env.update({"NO_COLOR": "1", "PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "matrix-passphrase"})
    pa = _HomeRunner({**env, "PA_HOME": str(home)})
    assert pa("tools", "setup", "google", "--client-secrets", str(secrets_file)).returncode == 0
    authorize(pa, _matrix_google, "calendar")
    authorize(pa, _matrix_google, "gmail")
    assert pa("config", "set", "gmail.undo_seconds", "0").returncode == 0  # the send itself, no window
    return home, env


@pytest.fixture
def cell(
    _authorized_home: tuple[Path, dict[str, str]],
    _matrix_google: FakeGoogle,
    fake_llm: FakeLLM,
    pa: PaRunner,
    pa_home: Path,
) -> Iterator[Cell]:
    """This test's copy of the authorized home, and `pa` pointed at it, the fake Google and the fake LLM."""
    template, env = _authorized_home
    shutil.rmtree(pa_home)
    shutil.copytree(template, pa_home)
    pa.extra_env.update(env)
    pa.extra_env.update(fake_llm.env())
    pa.extra_env["PA_HOME"] = str(pa_home)
    yield Cell(_matrix_google, pa_home, pa)
    violations = _matrix_google.take_violations()
    assert violations == [], "requests that break Google's discovery documents"


def _set_policy(pa: PaRunner, tools: list[str], policy: str) -> None:
    """What `pa config set tools.policy.TOOL POLICY` does (its own function), without a process per key."""
    from pa_cli.config import load_settings
    from pa_cli.config_edit import set_config_value

    paths = load_settings(environ=pa.env()).app_paths
    for tool in tools:
        set_config_value(paths, f"tools.policy.{tool}", policy)
    shown = pa("config", "get", f"tools.policy.{tools[0]}")
    assert shown.stdout.strip() == policy, shown.stderr


def _check(
    cell: Cell,
    tool: str,
    policy: str,
    before: tuple[Any, ...],
    audit_before: list[str],
    denied_audit: tuple[str, ...] = ("refused",),
) -> list[str]:
    """The problems of one cell ([] when it behaved)."""
    after = cell.world()
    new_rows = cell.audit(tool)[len(audit_before) :]
    problems = []
    if policy == "allow":
        if after == before:
            problems.append(f"{tool} allow: no effect")
        if new_rows != ["executing", "executed"]:
            problems.append(f"{tool} allow: audit {new_rows}")
    else:
        if after != before:
            problems.append(f"{tool} {policy}: acted: {before} -> {after}")
        expected = list(denied_audit) if policy == "deny" else []
        if new_rows != expected:
            problems.append(f"{tool} {policy}: audit {new_rows}")
    return problems


@pytest.mark.timeout(900)  # a dozen `pa` processes; slow on a loaded machine
@pytest.mark.parametrize("policy", POLICIES)
def test_tools_run_obeys_the_policy_for_every_side_effecting_tool(
    cell: Cell, pa: PaRunner, policy: str
) -> None:
    tools = side_effecting_tools()
    _set_policy(pa, tools, policy)
    problems: list[str] = []
    for tool in tools:
        arguments = EXAMPLES[tool](cell)
        before, audit_before = cell.world(), cell.audit(tool)
        result = pa("tools", "run", tool, "--args", json.dumps(arguments), timeout=300)
        expected_exit = {"ask": 4, "allow": 0, "deny": 2}[policy]
        if result.returncode != expected_exit:
            problems.append(f"{tool} {policy}: exit {result.returncode}: {result.stderr.strip()[:200]}")
        if policy == "ask" and not re.search(r"pa approve \w+", result.stderr):
            problems.append(f"{tool} ask: no `pa approve ID` in {result.stderr!r}")
        # A denied tool is not on offer at all: `pa tools run` finds no such tool (a usage error, exit 2),
        # so no call exists to audit. (In a turn the model may still name it: that call is refused and audited.)
        if policy == "deny" and result.stderr != f"error: no tool named {tool!r} (see `pa tools list`)\n":
            problems.append(f"{tool} deny: {result.stderr!r}")
        problems += _check(cell, tool, policy, before, audit_before, denied_audit=())
    assert problems == []


@pytest.mark.timeout(900)
@pytest.mark.parametrize("policy", POLICIES)
def test_pa_ask_obeys_the_policy_for_every_side_effecting_tool(
    cell: Cell, pa: PaRunner, fake_llm: FakeLLM, policy: str
) -> None:
    tools = side_effecting_tools()
    _set_policy(pa, tools, policy)
    problems: list[str] = []
    for tool in tools:
        arguments = EXAMPLES[tool](cell)
        before, audit_before = cell.world(), cell.audit(tool)
        fake_llm.reply_text(thinking(None, (tool, arguments)))
        if policy != "ask":
            fake_llm.reply_text(thinking("Done."))  # the turn goes on after the call ran or was refused
        result = pa("ask", "--json", f"please use {tool}", timeout=300)
        pending = json.loads(result.stdout).get("pending_approvals", []) if result.stdout.strip() else []
        if policy == "ask":
            if result.returncode != 4 or len(pending) != 1:
                problems.append(
                    f"{tool} ask: exit {result.returncode}, pending {pending}: {result.stderr[:200]}"
                )
        elif result.returncode != 0 or pending:
            problems.append(
                f"{tool} {policy}: exit {result.returncode}, pending {pending}: {result.stderr[:200]}"
            )
        problems += _check(cell, tool, policy, before, audit_before)
    assert problems == []
