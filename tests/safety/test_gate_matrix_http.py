"""The HTTP column of the gate matrix: every side-effecting tool of the registry x every policy, through `pa serve`.

Same generator as tests/safety/test_gate_matrix.py (``side_effecting_tools()`` reads the registry, and the
same ``EXAMPLES`` and ``Cell`` give each tool's arguments and the world its effect would change). One real
`pa serve` per policy (uvicorn on 127.0.0.1, a subprocess) serves every tool's cell, so the column costs a
server start per policy, not a process per tool. The scripted LLM names the tool; the turn goes through
POST .../chat/stream, and for ``ask`` the approval is decided over HTTP:

* ask: the turn ends waiting on exactly one approval and nothing happened (Google, mail, prompt, memories,
  no audit row); approving it over HTTP runs the call once (effect present, audited executing/executed) and
  a second approval of it is refused (409) with the world unchanged.
* allow: the call runs in the turn without an approval, audited executing/executed.
* deny: the tool is not on offer; the call the model names anyway is refused (audited ``refused``),
  nothing happened, and the model's next prompt reports that exact call as failed (no such tool, the
  tools it may use listed without it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pa_cli.testing.fake_google import FakeGoogle
from pa_cli.testing.fake_google.grants import grant_services
from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.conftest import PaRunner
from tests.safety.test_gate_matrix import EXAMPLES, POLICIES, Cell, _check, side_effecting_tools
from tests.server.support import API, LiveServer, SseEvent, server_env, stream_events


def _configure(env: dict[str, str], tools: list[str], policy: str) -> None:
    """config.toml as `pa config set` writes it: every tool's policy, and sends without the undo window."""
    from pa_cli.config import load_settings
    from pa_cli.config_edit import set_config_value

    paths = load_settings(environ=env).app_paths
    for tool in tools:
        set_config_value(paths, f"tools.policy.{tool}", policy)
    set_config_value(paths, "gmail.undo_seconds", "0")


@dataclass
class Served:
    live: LiveServer
    cell: Cell
    policy: str


@pytest.fixture
def served(
    request: pytest.FixtureRequest, fake_google: FakeGoogle, fake_llm: FakeLLM, tmp_path: Path
) -> Iterator[Served]:
    """A `pa serve` with Google authorized and every side-effecting tool at the test's policy."""
    policy: str = request.param
    secrets_file = fake_google.client_secrets_json(tmp_path / "client_secret.json")
    env = server_env(tmp_path / "server-home", fake_llm.env(), **fake_google.env(secrets_file))
    grant_services(env, fake_google)
    _configure(env, side_effecting_tools(), policy)
    runner = PaRunner()
    runner.extra_env.update(env)  # `pa memory add` (memory_forget's target) in the server's home
    live = LiveServer.start(env)
    try:
        yield Served(live, Cell(fake_google, Path(env["PA_HOME"]), runner), policy)
    finally:
        live.stop()


def _turn(
    live: LiveServer, fake_llm: FakeLLM, tool: str, arguments: dict[str, Any], policy: str
) -> list[SseEvent]:
    fake_llm.reset()
    fake_llm.reply_text(thinking(None, (tool, arguments)))
    if policy != "ask":
        fake_llm.reply_text(thinking("Done."))  # the turn goes on after the call ran or was refused
    with live.client() as http:
        return stream_events(http, f"{API}/chat/stream", {"message": f"please use {tool}"})


def _refused_in_next_prompt(fake_llm: FakeLLM, tool: str) -> bool:
    """The model's second request reports this exact call as refused (not merely the word "denied").

    A denied tool is not on offer in a turn at all, so the call the model still names is answered as
    an unknown tool, with the tools it may use, this one not among them."""
    if len(fake_llm.requests) != 2:
        return False
    prompt = fake_llm.requests[1].prompt_text
    match = re.search(rf'<data source="{tool}"[^>]*>(.*?)</data>', prompt, re.S)
    if match is None:
        return False
    block = json.loads(match.group(1))
    offered = block["summary"].partition("; tools: ")[2].split(", ")
    return (
        block["ok"] is False
        and block["summary"].startswith(f"no tool named {tool!r}; tools: ")
        and tool not in offered
    )


@pytest.mark.timeout(600)
@pytest.mark.parametrize("served", POLICIES, indirect=True)
def test_http_obeys_the_policy_for_every_side_effecting_tool(served: Served, fake_llm: FakeLLM) -> None:
    live, cell, policy = served.live, served.cell, served.policy
    problems: list[str] = []
    for tool in side_effecting_tools():
        arguments = EXAMPLES[tool](cell)
        before, audit_before = cell.world(), cell.audit(tool)
        events = _turn(live, fake_llm, tool, arguments, policy)
        required = [e for e in events if e.event == "approval_required"]
        done = events[-1]
        if done.event != "done":
            problems.append(f"{tool} {policy}: the turn ended with {done.event} {done.data}")
            continue
        if policy == "ask":
            if len(required) != 1 or required[0].data["tool"] != tool:
                problems.append(f"{tool} ask: approvals asked {[e.data for e in required]}")
                continue
            if done.data["pending_approvals"] != [required[0].data["id"]]:
                problems.append(f"{tool} ask: pending {done.data['pending_approvals']}")
            problems += _check(cell, tool, "ask", before, audit_before)  # nothing happened yet
            problems += _approve_once(
                live, fake_llm, cell, tool, required[0].data["id"], before, audit_before
            )
            continue
        if required or done.data["pending_approvals"]:
            problems.append(f"{tool} {policy}: asked for approval: {[e.data for e in required]}")
        problems += _check(cell, tool, policy, before, audit_before)
        if policy == "deny" and not _refused_in_next_prompt(fake_llm, tool):
            problems.append(f"{tool} deny: the model was not told its call was refused")
    assert problems == []


def _approve_once(
    live: LiveServer,
    fake_llm: FakeLLM,
    cell: Cell,
    tool: str,
    approval_id: str,
    before: tuple[Any, ...],
    audit_before: list[str],
) -> list[str]:
    """Approve over HTTP: the call runs once (effect, audit executing/executed); a second approval is 409."""
    fake_llm.reset()
    fake_llm.reply_text(thinking("Done."))
    problems = []
    with live.client() as http:
        events = stream_events(http, f"{API}/approvals/{approval_id}", {"approve": True})
        if events[-1].event != "done":
            problems.append(f"{tool} ask: approving ended with {events[-1].event} {events[-1].data}")
        problems += _check(cell, tool, "allow", before, audit_before)
        after = cell.world()
        again = http.post(f"{API}/approvals/{approval_id}", json={"approve": True})
        if again.status_code != 409 or again.json()["error"]["code"] != "approval_already_decided":
            problems.append(f"{tool} ask: a second approval answered {again.status_code} {again.text[:200]}")
        if cell.world() != after or cell.audit(tool)[len(audit_before) :] != ["executing", "executed"]:
            problems.append(f"{tool} ask: a second approval acted again")
    return problems
