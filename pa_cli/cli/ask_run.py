"""What `pa ask`, `pa approve` and `pa deny` do: drive AgentService and print its events."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from pa_cli.cli import runtime
from pa_cli.errors import EXIT_AUTH, EXIT_FAILURE, EXIT_OK, EXIT_WAITING, UsageError
from pa_cli.piped_stdin import MAX_STDIN_CONTEXT, read_piped_stdin

if TYPE_CHECKING:
    from pa_cli.agent.events import Event
    from pa_cli.agent.service import AgentService
    from pa_cli.agent.state import ApprovalRequest, Approver
    from pa_cli.cli.render import TurnPrinter

#: 128 + SIGTERM, as shells report a process ended by it.
EXIT_TERMINATED = 143
#: Error codes a person fixes by authorizing or supplying a credential: exit code 3.
_CREDENTIAL_CODES = frozenset({"authorization_needed", "auth", "no_api_key", "secret_store_locked"})


def _read_piped_stdin() -> str | None:
    data = read_piped_stdin()
    if data is None:
        return None
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
    try:
        return asyncio.run(_ask(text, context, session_id, continue_last, as_json, yes, stream))
    except Terminated:
        sys.stderr.write("\nterminated\n")
        return EXIT_TERMINATED


def run_decision(
    approval_id: str, *, approved: bool, as_json: bool, deselected: list[str] | None = None
) -> int:
    try:
        return asyncio.run(_decide(approval_id, approved, as_json, deselected))
    except Terminated:
        sys.stderr.write("\nterminated\n")
        return EXIT_TERMINATED


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

    service = _service(store_in_background=True)  # the LLM request need not wait for the ORM
    printer = TurnPrinter(
        tty=runtime.stdout_is_tty(), stream=stream, as_json=as_json, status_tty=_stderr_is_tty()
    )
    events = service.run(
        text,
        session_id=session_id,
        context=context,
        continue_last=continue_last,
        approver=_approver(printer, yes),
    )
    return await _consume(events, printer)


async def _decide(approval_id: str, approved: bool, as_json: bool, deselected: list[str] | None) -> int:
    from pa_cli.cli.approval_outcome import DecidedCall
    from pa_cli.cli.render import TurnPrinter

    service = _service()
    printer = TurnPrinter(
        tty=runtime.stdout_is_tty(), stream=True, as_json=as_json, status_tty=_stderr_is_tty()
    )
    decided = DecidedCall(announce=printer.as_json or not printer.tty)  # a TTY shows it already
    events = decided.watch(
        service.resume(approval_id, approved, approver=_approver(printer, False), deselected=deselected)
    )
    return await _consume(events, printer)


def _service(*, store_in_background: bool = False) -> AgentService:
    from pa_cli.agent.service import AgentService

    return AgentService.open(runtime.load(), in_background=store_in_background)


def _approver(printer: TurnPrinter, yes: bool) -> Approver | None:
    if yes:

        async def approve_all(request: ApprovalRequest) -> bool:
            return True

        return approve_all
    if not (sys.stdin is not None and sys.stdin.isatty() and sys.stderr.isatty()):
        return None

    async def ask_person(request: ApprovalRequest) -> bool:
        from rich.panel import Panel
        from rich.text import Text

        from pa_cli.sanitize import clean, clean_line

        printer.hold()  # the spinner stops: nothing may draw over the question
        try:
            runtime.err().print(
                Panel(
                    Text(clean(request.preview)),
                    title=Text(f"approve {clean_line(request.tool)}?"),
                    border_style="yellow",
                )
            )
            answer = await read_line("Run it? [y/N] ")
            approved = answer.strip().lower() in ("y", "yes")
            printer.decided(request.tool, approved)
            return approved
        finally:
            printer.release()

    return ask_person


async def read_line(prompt: str) -> str:
    """``input(prompt)`` off the event loop, in a daemon thread: a turn cancelled meanwhile (Ctrl-C,
    SIGTERM) can exit without waiting for a line that never comes. End of input is an empty answer."""
    import threading

    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()

    def settle(value: str) -> None:
        if not answer.done():
            answer.set_result(value)

    def read() -> None:
        try:
            line = input(prompt)
        except (EOFError, OSError, ValueError):
            line = ""
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(settle, line)

    threading.Thread(target=read, name="pa-approval-input", daemon=True).start()
    return await answer


def _stderr_is_tty() -> bool:
    return sys.stderr is not None and sys.stderr.isatty()


class Terminated(Exception):
    """SIGTERM arrived during a turn; the partial answer was kept, as on Ctrl-C."""


async def _consume(events: AsyncIterator[Event], printer: TurnPrinter) -> int:
    """Print the turn's events. SIGTERM cancels it like Ctrl-C does, so the partial answer is stored."""
    import signal

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    terminated = False

    def on_sigterm() -> None:
        nonlocal terminated
        terminated = True
        if task is not None:
            task.cancel()

    with contextlib.suppress(NotImplementedError, RuntimeError):  # not on this platform or thread
        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    ticker = asyncio.create_task(_tick(printer))
    try:
        async for event in events:
            printer.handle(event)
    except asyncio.CancelledError:
        if terminated:
            raise Terminated from None
        raise
    finally:
        ticker.cancel()
        printer.close()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGTERM)
    return _report(printer)


async def _tick(printer: TurnPrinter) -> None:
    """Keep the live area moving (spinner, status clock) from the event loop's own thread."""
    while True:
        await asyncio.sleep(0.125)
        printer.tick()


def _report(printer: TurnPrinter) -> int:
    from pa_cli.sanitize import clean, clean_line

    err = sys.stderr
    if printer.error is not None:
        err.write(f"error: {clean_line(printer.error.message)}\n")
        if printer.error.hint:
            err.write(f"hint: {clean_line(printer.error.hint)}\n")
        return EXIT_AUTH if printer.error.code in _CREDENTIAL_CODES else EXIT_FAILURE
    done = printer.done
    if done is None:
        return EXIT_FAILURE
    if printer.as_json:
        payload: dict[str, object] = {
            "response": done.response,
            "session_id": done.session_id,
            "tools_used": done.tools_used,
            "memories": done.memories,
            "usage": done.usage.model_dump(),  # token counts null when the LLM reported none
            "incomplete": done.incomplete,
        }
        if done.pending_approvals:
            payload["pending_approvals"] = done.pending_approvals
        runtime.print_json(payload)
    pending = {a.id: a for a in printer.approvals if a.id in done.pending_approvals}
    for approval in pending.values():
        err.write(f"\napproval needed for {clean_line(approval.tool)}:\n")
        for line in clean(approval.preview).splitlines():
            err.write(f"  {line}\n")
        err.write(f"run `pa approve {approval.id}` to run it, or `pa deny {approval.id}`\n")
    _report_still_waiting([a for a in done.pending_approvals if a not in pending])
    return EXIT_WAITING if done.pending_approvals else EXIT_OK


def _report_still_waiting(approval_ids: list[str]) -> None:
    """Approvals of a resumed turn that were announced earlier (by another process) and still wait."""
    for approval_id in approval_ids:
        sys.stderr.write(
            f"still waiting for your approval: `pa approve {approval_id}` or `pa deny {approval_id}`"
            " (see `pa approvals`)\n"
        )
