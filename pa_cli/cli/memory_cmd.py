"""`pa memory list|search|add|edit|forget|pin|export|import`: every remembered fact, yours to see and change."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pa_cli.cli import runtime

if TYPE_CHECKING:
    from pa_cli.memory.book import MemoryBook
    from pa_cli.store import Memory

app = typer.Typer(help="See, edit and forget what pa remembers about you.", no_args_is_help=True)

IdArg = Annotated[str, typer.Argument(help="A memory id (a unique prefix is enough; see `pa memory list`).")]


def _book() -> MemoryBook:
    from pa_cli.memory.book import MemoryBook
    from pa_cli.store import open_store

    settings = runtime.load()
    store = open_store(settings)
    return MemoryBook(settings, store, store.users.local_user().id)


def _line(memory: Memory) -> str:
    from pa_cli.sanitize import clean_line

    marks = ("  [pinned]" if memory.pinned else "") + ("  [untrusted]" if memory.taint else "")
    return f"{memory.id}  {memory.created_at:%Y-%m-%d}  {clean_line(memory.text)}{marks}"


def _print(memories: list[Memory], as_json: bool) -> None:
    if as_json:
        from pa_cli.memory.book import memory_dict

        runtime.print_json([memory_dict(m) for m in memories])
        return
    for memory in memories:
        typer.echo(_line(memory))


@app.command("list")
def list_(
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1, help="At most this many.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (objects with id and text).")] = False,
) -> None:
    """Everything pa remembers about you: pinned first, then newest."""
    book = _book()
    memories = book.list(limit=limit)
    if not memories and not as_json:
        state = "" if book.enabled else " (memory is turned off: memory.enabled = false)"
        typer.echo(f'nothing remembered yet{state}: `pa memory add "..."` adds a fact')
        return
    _print(memories, as_json)


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Words the fact must contain.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (objects with id and text).")] = False,
) -> None:
    """Remembered facts containing every word of QUERY, best match first."""
    found = _book().search(query, limit=limit)
    if not found and not as_json:
        typer.echo("no matches")
        raise typer.Exit(1)
    _print(found, as_json)


@app.command("add")
def add(
    text: Annotated[str, typer.Argument(help='The fact, e.g. "My manager is Priya".')],
    pin: Annotated[bool, typer.Option("--pin", help="Recall it in every turn.")] = False,
) -> None:
    """Remember a fact (yours: no approval needed)."""
    typer.echo(_line(_book().add(text, pinned=pin)))


@app.command("edit")
def edit(memory_id: IdArg, text: Annotated[str, typer.Argument(help="The new text of the fact.")]) -> None:
    """Change a fact's text."""
    typer.echo(_line(_book().edit(memory_id, text)))


@app.command("forget")
def forget(memory_id: IdArg) -> None:
    """Forget a fact: it is deleted and never recalled again."""
    from pa_cli.sanitize import clean_line

    memory = _book().forget(memory_id)
    typer.echo(f"forgot {memory.id}: {clean_line(memory.text)}")


@app.command("pin")
def pin(
    memory_id: IdArg,
    off: Annotated[bool, typer.Option("--off", help="Unpin instead.")] = False,
) -> None:
    """Pin a fact: it is recalled in every turn (within memory.recall_limit)."""
    typer.echo(_line(_book().pin(memory_id, not off)))


@app.command("export")
def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Every remembered fact as Markdown (`pa memory import` reads it back)."""
    text = _book().export_markdown()
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}", err=True)


@app.command("import")
def import_(
    path: Annotated[
        str, typer.Argument(help="A Markdown file from `pa memory export` (or a list of facts); - for stdin.")
    ],
) -> None:
    """Add the facts of a Markdown list; facts already remembered are skipped."""
    from pa_cli.errors import UsageError

    if path == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise UsageError(f"cannot read {path}: {reason}") from None
    report = _book().import_markdown(text)
    typer.echo(f"imported {report.added} fact(s); {report.skipped} already remembered")
