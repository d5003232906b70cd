"""`pa audit` (the ledger of tool executions, newest first) and `pa audit verify`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from pa_cli.cli import runtime

if TYPE_CHECKING:
    from pa_cli.store import AuditEntry

app = typer.Typer(
    help="The audit log: every tool execution, hash-chained, its tip anchored in the secret store.",
    invoke_without_command=True,
)


@app.callback()
def list_(
    ctx: typer.Context,
    tool: Annotated[str | None, typer.Option("--tool", help="Only this tool's executions.")] = None,
    session: Annotated[str | None, typer.Option("--session", help="Only this session's.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this day on (YYYY-MM-DD).")] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Up to this day, inclusive (YYYY-MM-DD).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000, help="How many rows.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the audit log, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    from pa_cli.audit import day_bounds, parse_day, row_dict
    from pa_cli.errors import UsageError
    from pa_cli.store import open_store

    first = parse_day(since, option="--since") if since else None
    last = parse_day(until, option="--until") if until else None
    if first is not None and last is not None and first > last:
        raise UsageError("--since must not be after --until")
    start, end = day_bounds(first, last)
    with open_store(runtime.load()) as store:
        rows = store.audit.list(tool=tool, session_id=session, since=start, until=end, limit=limit)
    if as_json:
        runtime.print_json([row_dict(r) for r in rows])
        return
    if not rows:
        typer.echo("no audit rows match" if (tool or session or since or until) else "the audit log is empty")
        return
    if runtime.stdout_is_tty():
        _table(rows)
        return
    for r in rows:
        when = r.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        typer.echo(f"{r.id}\t{when}\t{r.tool}\t{r.outcome}\t{r.frontend}\t{r.session_id or '-'}")


def _table(rows: list[AuditEntry]) -> None:
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for name in ("id", "time", "tool", "outcome", "via", "session", "approval"):
        table.add_column(name, overflow="fold")
    for r in rows:
        table.add_row(
            str(r.id),
            r.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            r.tool,
            r.outcome,
            r.frontend,
            (r.session_id or "-")[:12],
            (r.approval_id or "-")[:12],
        )
    runtime.out().print(table)


@app.command("verify")
def verify(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Check the hash chain and its anchored tip: exit 0 when intact, 1 with the first bad row."""
    from pa_cli.audit import verify as check
    from pa_cli.store import open_store

    with open_store(runtime.load()) as store:
        verdict = check(store)
    if as_json:
        runtime.print_json(verdict.as_dict())
    elif verdict.ok:
        typer.echo(f"ok: {verdict.message}")
    else:
        typer.echo(f"error: {verdict.message}", err=True)
    if not verdict.ok:
        raise typer.Exit(1)
