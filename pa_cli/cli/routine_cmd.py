"""`pa routine add|list|show|pause|resume|remove|run|run-due|install-timer`: scheduled briefings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from pa_cli.cli import runtime

if TYPE_CHECKING:
    from pa_cli.config import Settings
    from pa_cli.routines.runner import RunResult
    from pa_cli.store import Store

app = typer.Typer(
    help="Briefings and check-ins that run on a schedule; their side effects wait for your approval.",
    no_args_is_help=True,
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
NameArg = Annotated[str, typer.Argument(help="The routine's name.")]


def _open() -> tuple[Settings, Store, int]:
    from pa_cli.store import open_store

    settings = runtime.load()
    store = open_store(settings)
    return settings, store, store.users.local_user().id


@app.command("add")
def add(
    name: NameArg,
    text: Annotated[str, typer.Argument(help='What to do, e.g. "Brief me: today\'s calendar and mail".')],
    at: Annotated[
        str,
        typer.Option(
            "--at", help='When: "weekdays 08:00", "daily 07:30", "mon,wed 09:00", or a cron expression.'
        ),
    ],
    also: Annotated[
        list[str] | None, typer.Option("--also", help="Another check answered in the same run (repeatable).")
    ] = None,
    active_hours: Annotated[
        str | None, typer.Option("--active-hours", help="HH:MM-HH:MM: runs due outside wait until it opens.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a routine; it runs in your time zone (user.timezone)."""
    from pa_cli.routines.manage import add_routine, routine_view

    settings, store, uid = _open()
    with store:
        routine = add_routine(
            settings, store, uid, name=name, when=at, prompt=text, also=also, active_hours=active_hours
        )
        view = routine_view(settings, routine)
    if as_json:
        runtime.print_json(view)
        return
    typer.echo(
        f"added {view['name']}: {view['schedule_explained']} ({view['timezone']}); next run {view['next_run_at']}"
    )


@app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """List your routines with their next run."""
    from pa_cli.routines.manage import routine_view
    from pa_cli.sanitize import clean_line

    settings, store, uid = _open()
    with store:
        views = [routine_view(settings, r) for r in store.routines.list(uid)]
    if as_json:
        runtime.print_json(views)
        return
    if not views:
        typer.echo('no routines yet: add one with `pa routine add NAME --at "weekdays 08:00" "..."`')
        return
    for v in views:
        state = "paused" if v["paused"] else f"next {v['next_run_at']}"
        typer.echo(f"{clean_line(v['name']):<24} {clean_line(v['schedule']):<22} {state}")


@app.command("show")
def show(name: NameArg, as_json: JsonOption = False) -> None:
    """Show a routine, its recent runs and its LLM usage per week (marks its results read)."""
    from pa_cli.routines.manage import find_routine, routine_detail

    settings, store, uid = _open()
    with store:
        routine = find_routine(store, uid, name)
        detail = routine_detail(settings, store, routine)
        store.routines.mark_read(routine.id)
    if as_json:
        runtime.print_json(detail)
        return
    _print_detail(detail)


def _print_detail(d: dict[str, Any]) -> None:
    from pa_cli.sanitize import clean, clean_line

    typer.echo(f"{clean_line(d['name'])}: {d['schedule_explained']} ({d['timezone']})")
    typer.echo(f"  cron {d['cron']}" + (f", active hours {d['active_hours']}" if d["active_hours"] else ""))
    typer.echo("  paused" if d["paused"] else f"  next run {d['next_run_at']}")
    typer.echo(f"  asks: {clean_line(d['prompt'])}")
    for check in d["also"]:
        typer.echo(f"  also: {clean_line(check)}")
    if d["usage_by_week"]:
        typer.echo("\nLLM usage per week (week of)")
        for u in d["usage_by_week"]:
            typer.echo(
                f"  {u['week_start']}  {u['runs']} runs  {u['llm_calls']} LLM calls  "
                f"{u['input_tokens']} in / {u['output_tokens']} out tokens"
            )
    if d["runs"]:
        typer.echo("\nRecent runs")
        for r in d["runs"]:
            flags = " late" if r["late"] else ""
            flags += "" if r["needs_attention"] else " (nothing needs you)"
            typer.echo(f"  {r['slot']}  {r['status']}{flags}  session {r['session_id'] or '-'}")
            if r["summary"]:
                typer.echo("    " + clean(r["summary"]).replace("\n", "\n    "))


@app.command("pause")
def pause(name: NameArg) -> None:
    """Stop a routine from running until you resume it."""
    _pause(name, True)


@app.command("resume")
def resume(name: NameArg) -> None:
    """Run a paused routine again from its next slot (slots missed while paused are skipped)."""
    _pause(name, False)


def _pause(name: str, paused: bool) -> None:
    from pa_cli.routines.manage import find_routine, set_paused

    settings, store, uid = _open()
    with store:
        routine = set_paused(settings, store, find_routine(store, uid, name), paused)
    typer.echo(f"{routine.name} paused" if paused else f"{routine.name} resumed")


@app.command("remove")
def remove(name: NameArg) -> None:
    """Delete a routine (its past runs stay in history as sessions)."""
    from pa_cli.routines.manage import find_routine

    _settings, store, uid = _open()
    with store:
        routine = find_routine(store, uid, name)
        store.routines.delete(routine.id)
    typer.echo(f"removed {routine.name}")


@app.command("run")
def run(name: NameArg, as_json: JsonOption = False) -> None:
    """Run a routine now (exit 4 when something it proposed waits for your approval)."""
    import asyncio

    from pa_cli.routines.manage import find_routine
    from pa_cli.routines.runner import RoutineRunner
    from pa_cli.tools.registry import ToolRegistry

    settings, store, uid = _open()
    with store:
        routine = find_routine(store, uid, name)
        runner = RoutineRunner(settings, store, ToolRegistry.load(settings))
        result = asyncio.run(runner.run_now(routine))
    _print_results([result], as_json)
    raise typer.Exit(_exit_code([result]))


@app.command("run-due")
def run_due(as_json: JsonOption = False) -> None:
    """Run the routines that are due (for a system timer; safe to run from several places at once)."""
    import asyncio

    from pa_cli.routines.runner import RoutineRunner
    from pa_cli.tools.registry import ToolRegistry

    settings, store, _uid = _open()
    with store:
        runner = RoutineRunner(settings, store, ToolRegistry.load(settings))
        results = asyncio.run(runner.tick())
    _print_results(results, as_json)


def _exit_code(results: list[RunResult]) -> int:
    from pa_cli.errors import EXIT_FAILURE, EXIT_OK, EXIT_WAITING

    if any(r.status == "failed" for r in results):
        return EXIT_FAILURE
    if any(r.status == "waiting" for r in results):
        return EXIT_WAITING
    return EXIT_OK


def _print_results(results: list[RunResult], as_json: bool) -> None:
    from pa_cli.sanitize import clean

    if as_json:
        runtime.print_json([r.as_json() for r in results])
        return
    for r in results:
        late = " (late)" if r.late else ""
        quiet = "" if r.needs_attention else " (nothing needs you)"
        typer.echo(f"{r.routine}{late}: {r.status}{quiet}; session {r.session_id}")
        if r.summary:
            typer.echo("  " + clean(r.summary).replace("\n", "\n  "))
        for w in r.pending_approvals:
            typer.echo(f"  waits for your approval: {w['tool']}  `pa approve {w['id']}`")


@app.command("install-timer")
def install_timer(
    print_only: Annotated[
        bool, typer.Option("--print", help="Print a crontab line instead of writing systemd units.")
    ] = False,
) -> None:
    """Write a systemd user timer that runs `pa routine run-due` every minute (or print a crontab line)."""
    from pa_cli.routines import timer

    if print_only:
        typer.echo(timer.crontab_line())
        return
    installed = timer.install_systemd_timer()
    typer.echo(f"wrote {installed.service}")
    typer.echo(f"wrote {installed.timer}")
    typer.echo(
        f"start it with: systemctl --user daemon-reload && systemctl --user enable --now {timer.UNIT}.timer"
    )
