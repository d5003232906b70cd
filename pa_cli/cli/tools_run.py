"""`pa tools list` and `pa tools run`: thin over the registry and the direct-run helper."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

from pa_cli.cli import runtime
from pa_cli.errors import EXIT_AUTH, EXIT_FAILURE, EXIT_OK, EXIT_WAITING, UsageError

if TYPE_CHECKING:
    from pa_cli.agent.state import ApprovalRequest
    from pa_cli.config import Settings


def list_tools(settings: Settings, *, as_json: bool) -> None:
    from pa_cli.agent.catalog import describe_tools
    from pa_cli.store import open_store
    from pa_cli.tools.registry import ToolRegistry

    store = open_store(settings)
    rows = describe_tools(ToolRegistry.load(settings), settings, store, store.users.local_user().id)
    if as_json:
        runtime.print_json({"tools": rows})
        return
    if not runtime.stdout_is_tty():
        for row in rows:
            state = "authorized" if row["authorized"] else "not authorized"
            note = f"  ({row['note']})" if row.get("note") else ""
            approval = "  [asks first]" if row["side_effect"] else ""
            sys.stdout.write(f"{row['name']}\t{state}{approval}{note}\n")
        return
    from rich.table import Table

    table = Table("tool", "authorized", "approval", "description", box=None, pad_edge=False)
    for row in rows:
        authorized = "yes" if row["authorized"] else f"no: {row['note']}" if row.get("note") else "no"
        summary = row["description"].split("\n")[0]
        table.add_row(row["name"], authorized, "asks first" if row["side_effect"] else "", summary)
    runtime.out().print(table)


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
        sys.stderr.write(f"approval needed for {name}:\n")
        for line in (outcome.preview or "").splitlines():
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
        sys.stderr.write(f"error: {result.summary}\n")
    else:
        if result.content is not None:
            body = (
                result.content
                if isinstance(result.content, str)
                else json.dumps(result.content, indent=2, default=str)
            )
            sys.stdout.write(body + "\n")
        if result.summary:
            sys.stderr.write(result.summary + "\n")
    if result.ok:
        return EXIT_OK
    error = result.content.get("error", {}) if isinstance(result.content, dict) else {}
    return EXIT_AUTH if error.get("code") == "authorization_needed" else EXIT_FAILURE


def _approver(yes: bool) -> Any:
    if yes:

        async def approve(request: ApprovalRequest) -> bool:
            return True

        return approve
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return None

    async def ask(request: ApprovalRequest) -> bool:
        sys.stderr.write(f"{request.preview}\n")
        answer = await asyncio.to_thread(input, f"Run {request.tool}? [y/N] ")
        return answer.strip().lower() in ("y", "yes")

    return ask
