"""`pa tools list` and `pa tools run`: thin over the registry and the direct-run helper."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

from pa_cli.cli import runtime
from pa_cli.errors import EXIT_AUTH, EXIT_FAILURE, EXIT_OK, EXIT_WAITING, UsageError
from pa_cli.sanitize import clean, clean_line

if TYPE_CHECKING:
    from pa_cli.agent.state import ApprovalRequest
    from pa_cli.config import Settings


#: One line on what "allow" means for a side effect (tools.policy and the untrusted-context rule).
UNTRUSTED_NOTE = (
    "allow runs a tool without asking, except a side effect while untrusted content"
    " (mail, calendar text, MCP output) is in the conversation: then pa asks first."
)


def list_tools(settings: Settings, *, as_json: bool) -> None:
    from pa_cli.agent.catalog import describe_tools, stored_grants
    from pa_cli.tools.policy import decide_policy
    from pa_cli.tools.registry import ToolRegistry

    grants = stored_grants(settings)  # the light read when it can: no ORM to import (~0.3 s)
    registry = ToolRegistry.load(settings)
    rows = describe_tools(registry, settings, None, 0, grants)
    for row in rows:
        tool = registry.find(row["name"])
        row["policy"] = decide_policy(tool, settings, False) if tool is not None else "deny"
    hidden = [{"name": name, "reason": reason} for name, reason in sorted(registry.hidden.items())]
    if as_json:
        runtime.print_json({"tools": rows, "hidden": hidden})
        return
    lines = [
        (
            row["name"],
            _policy_label(row["policy"]),
            "authorized" if row["authorized"] else "not authorized",
            row.get("note") or "",
            _summary(row["description"]),
        )
        for row in rows
    ]
    lines += [(h["name"], _hidden_label(h["reason"]), "", h["reason"], "not offered") for h in hidden]
    if not runtime.stdout_is_tty():
        for name, policy, state, note, summary in lines:
            detail = f"  ({note})" if note else ""
            sys.stdout.write(f"{name}\t{policy}\t{state}{detail}\t{summary}\n")
        sys.stderr.write(UNTRUSTED_NOTE + "\n")
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=None, pad_edge=False, expand=True)
    for header in ("tool", "policy", "authorized"):
        table.add_column(header, no_wrap=True)
    table.add_column("description", no_wrap=True, overflow="ellipsis", ratio=1)
    for name, policy, state, note, summary in lines:
        if state == "authorized":
            shown = "yes"
        elif state:
            shown = "no: " + note.removeprefix("not authorized: ") if note else "no"
        else:
            shown = note
        table.add_row(name, policy, escape(clean_line(shown)), escape(clean_line(summary)))
    runtime.out().print(table)
    runtime.out().print(f"[dim]{escape(UNTRUSTED_NOTE)}[/dim]")


def _policy_label(policy: str) -> str:
    return {"ask": "asks first", "allow": "allow", "deny": "deny"}.get(policy, policy)


def _hidden_label(reason: str) -> str:
    return "draft only" if "draft_only" in reason else "deny"


def _summary(description: str, width: int = 80) -> str:
    first = " ".join((description.strip().splitlines() or [""])[0].split())
    return first if len(first) <= width else first[: width - 1] + "…"


def _parse_arguments(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"--args is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(value, dict):
        raise UsageError('--args must be a JSON object, for example --args \'{"path": "/notes.md"}\'')
    return value


def run_tool(settings: Settings, name: str, raw_args: str, *, yes: bool, as_json: bool) -> int:
    return asyncio.run(_run(settings, name, _parse_arguments(raw_args), yes, as_json))


async def _run(settings: Settings, name: str, arguments: dict[str, Any], yes: bool, as_json: bool) -> int:
    from pa_cli.agent.direct import run_tool_directly
    from pa_cli.store import open_store
    from pa_cli.tools.registry import ToolRegistry

    store = open_store(settings)
    outcome = await run_tool_directly(
        settings, store, ToolRegistry.load(settings), name, arguments, approver=_approver(yes)
    )
    if outcome.pending_approval:
        sys.stderr.write(f"approval needed for {clean_line(name)}:\n")
        for line in clean(outcome.preview or "").splitlines():
            sys.stderr.write(f"  {line}\n")
        sys.stderr.write(
            f"run `pa approve {outcome.pending_approval}` to run it, or `pa deny {outcome.pending_approval}`\n"
        )
        if as_json:
            runtime.print_json({"ok": None, "pending_approval": outcome.pending_approval})
        return EXIT_WAITING
    result = outcome.result
    assert result is not None
    if as_json:
        runtime.print_json(result.model_dump(mode="json"))
    elif not result.ok:
        sys.stderr.write(f"error: {clean_line(result.summary)}\n")
    else:
        if result.content is not None:
            content = _clean_data(result.content)
            body = content if isinstance(content, str) else json.dumps(content, indent=2, default=str)
            sys.stdout.write(body + "\n")
        if result.summary:
            sys.stderr.write(clean(result.summary) + "\n")
    if result.ok:
        return EXIT_OK
    error = result.content.get("error", {}) if isinstance(result.content, dict) else {}
    return EXIT_AUTH if error.get("code") == "authorization_needed" else EXIT_FAILURE


def _clean_data(value: Any) -> Any:
    """Tool output for a person: every string in it sanitized (``--json`` keeps the data as it is)."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(str(k)): _clean_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_data(v) for v in value]
    return value


def _approver(yes: bool) -> Any:
    if yes:

        async def approve(request: ApprovalRequest) -> bool:
            return True

        return approve
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return None

    async def ask(request: ApprovalRequest) -> bool:
        sys.stderr.write(f"{clean(request.preview)}\n")
        answer = await asyncio.to_thread(input, f"Run {clean_line(request.tool)}? [y/N] ")
        return answer.strip().lower() in ("y", "yes")

    return ask
