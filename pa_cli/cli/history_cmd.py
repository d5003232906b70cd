"""`pa history list|show|search`: the conversation log is a feature."""

from __future__ import annotations

from typing import Annotated

import typer

from pa_cli.cli import runtime
from pa_cli.cli.completion import complete_session_ids

app = typer.Typer(help="Browse and search past conversations.", no_args_is_help=True)


@app.command("list")
def list_(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many sessions.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List recent sessions, newest first."""
    from pa_cli.history import History

    sessions = History.open(runtime.load()).list_sessions(limit=limit)
    if as_json:
        runtime.print_json([s.as_dict() for s in sessions])
        return
    if not sessions:
        typer.echo('no sessions yet: start one with `pa ask "..."`')
        return
    from pa_cli.sanitize import clean_line

    for s in sessions:
        typer.echo(f"{s.id}  {s.updated_at:%Y-%m-%d %H:%M}  {s.messages:>4} msgs  {clean_line(s.title)}")


@app.command("show")
def show(
    session_id: Annotated[
        str,
        typer.Argument(help="A session id (a unique prefix is enough).", autocompletion=complete_session_ids),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one session's messages."""
    from pa_cli.history import History

    transcript = History.open(runtime.load()).show_session(session_id)
    if as_json:
        runtime.print_json(transcript.as_dict())
        return
    from pa_cli.sanitize import clean, clean_line

    typer.echo(f"session {transcript.session.id}  {clean_line(transcript.session.title)}")
    for m in transcript.messages:
        marker = " (incomplete)" if m.status == "incomplete" else ""
        tool = f" {clean_line(m.tool_name)}" if m.tool_name else ""
        typer.echo(f"\n[{m.role}{tool}]{marker} {m.created_at:%Y-%m-%d %H:%M}")
        typer.echo(clean(m.content))


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Words to look for (full-text search).")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Full-text search over every message."""
    from pa_cli.history import History

    hits = History.open(runtime.load()).search(query, limit=limit)
    if as_json:
        runtime.print_json([h.as_dict() for h in hits])
        return
    if not hits:
        typer.echo("no matches")
        raise typer.Exit(1)
    from pa_cli.sanitize import clean_line

    for h in hits:
        snippet = " ".join(clean_line(h.content).split())[:120]
        typer.echo(f"{h.session_id}  {h.created_at:%Y-%m-%d %H:%M}  [{h.role}] {snippet}")
