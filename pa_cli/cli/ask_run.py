"""What `pa ask`, `pa approve` and `pa deny` do: drive AgentService and print its events."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from pa_cli.cli import runtime
from pa_cli.errors import EXIT_AUTH, EXIT_FAILURE, EXIT_OK, UsageError

if TYPE_CHECKING:
    from pa_cli.agent.events import Event
    from pa_cli.agent.service import AgentService
    from pa_cli.agent.state import ApprovalRequest, Approver
    from pa_cli.cli.render import TurnPrinter

MAX_STDIN_CONTEXT = 1_000_000
#: Error codes a person fixes by authorizing or supplying a credential: exit code 3.
_CREDENTIAL_CODES = frozenset({"authorization_needed", "auth", "no_api_key", "secret_store_locked"})


def _read_piped_stdin() -> str | None:
    if sys.stdin is None or sys.stdin.isatty():
        return None
    data = sys.stdin.read(MAX_STDIN_CONTEXT + 1)
    if len(data) > MAX_STDIN_CONTEXT:
        raise UsageError(f"piped input is larger than {MAX_STDIN_CONTEXT // 1_000_000} MB")
    return data if data.strip() else None


def run_ask(
    text: str | None, *, session_id: str | None, continue_last: bool, as_json: bool, yes: bool, stream: bool
) -> int:
    if session_id and continue_last:
        raise UsageError("use either --session ID or --continue, not both")
    context = _read_piped_stdin()
    if not text or not text.strip():
        if context is None:
            raise UsageError('nothing to ask: pa ask "your question" (or pipe text in)')
        text, context = context, None
    return asyncio.run(_ask(text, context, session_id, continue_last, as_json, yes, stream))


def run_decision(approval_id: str, *, approved: bool, as_json: bool) -> int:
    return asyncio.run(_decide(approval_id, approved, as_json))


async def _ask(
    text: str,
    context: str | None,
    session_id: str | None,
    continue_last: bool,
    as_json: bool,
    yes: bool,
    stream: bool,
) -> int:
    from pa_cli.cli.render import TurnPrinter

    service = _service()
    printer = TurnPrinter(tty=runtime.stdout_is_tty(), stream=stream, as_json=as_json)
    events = service.run(
        text,
        session_id=session_id,
        context=context,
        continue_last=continue_last,
        approver=_approver(printer, yes),
    )
    return await _consume(events, printer)


async def _decide(approval_id: str, approved: bool, as_json: bool) -> int:
    from pa_cli.cli.render import TurnPrinter

    service = _service()
    printer = TurnPrinter(tty=runtime.stdout_is_tty(), stream=True, as_json=as_json)
    events = service.resume(approval_id, approved, approver=_approver(printer, False))
    return await _consume(events, printer)


def _service() -> AgentService:
    from pa_cli.agent.service import AgentService

    return AgentService.open(runtime.load())


def _approver(printer: TurnPrinter, yes: bool) -> Approver | None:
    if yes:

        async def approve_all(request: ApprovalRequest) -> bool:
            return True

        return approve_all
    if not (sys.stdin is not None and sys.stdin.isatty() and sys.stderr.isatty()):
        return None

    async def ask_person(request: ApprovalRequest) -> bool:
        printer.pause()
        err = runtime.err()
        from rich.markup import escape
        from rich.panel import Panel

        err.print(Panel(escape(request.preview), title=f"approve {request.tool}?", border_style="yellow"))
        answer = await asyncio.to_thread(input, "Run it? [y/N] ")
        return answer.strip().lower() in ("y", "yes")

    return ask_person


async def _consume(events: AsyncIterator[Event], printer: TurnPrinter) -> int:
    try:
        async for event in events:
            printer.handle(event)
    finally:
        printer.close()
    return _report(printer)


def _report(printer: TurnPrinter) -> int:
    err = sys.stderr
    if printer.error is not None:
        err.write(f"error: {printer.error.message}\n")
        if printer.error.hint:
            err.write(f"hint: {printer.error.hint}\n")
        return EXIT_AUTH if printer.error.code in _CREDENTIAL_CODES else EXIT_FAILURE
    done = printer.done
    if done is None:
        return EXIT_FAILURE
    if printer.as_json:
        payload: dict[str, object] = {
            "response": done.response,
            "session_id": done.session_id,
            "tools_used": done.tools_used,
        }
        if done.pending_approvals:
            payload["pending_approvals"] = done.pending_approvals
        runtime.print_json(payload)
    pending = {a.id: a for a in printer.approvals if a.id in done.pending_approvals}
    for approval in pending.values():
        err.write(f"\napproval needed for {approval.tool}:\n")
        for line in approval.preview.splitlines():
            err.write(f"  {line}\n")
        err.write(f"run `pa approve {approval.id}` to run it, or `pa deny {approval.id}`\n")
    return EXIT_OK
