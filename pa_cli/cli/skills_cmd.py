"""`pa skills list|show|add`: the skills the model may read (thin over pa_cli.skills)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pa_cli.cli import runtime

if TYPE_CHECKING:
    from pa_cli.skills import SkillSet

app = typer.Typer(help="List, show and add skills (procedures the assistant can read).", no_args_is_help=True)


def _skills() -> SkillSet:
    from pa_cli.skills import load_skills

    return load_skills(runtime.load().app_paths.skills_dir)


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the skills on offer, one line each (name, source, description)."""
    import sys

    from pa_cli.sanitize import clean_line

    skills = _skills()
    for warning in skills.warnings:
        sys.stderr.write(clean_line(warning) + "\n")
    if as_json:
        runtime.print_json(
            [
                {"name": s.name, "description": s.description, "source": s.source, "folder": str(s.folder)}
                for s in skills.all()
            ]
        )
        return
    if not skills.skills:
        folder = runtime.load().app_paths.skills_dir
        typer.echo(
            f"no skills yet: add one with `pa skills add PATH` (a folder with a SKILL.md), or put it in {folder}"
        )
        return
    for skill in skills.all():
        typer.echo(f"{skill.name}\t{skill.source}\t{clean_line(skill.description)}")


@app.command("show")
def show(name: Annotated[str, typer.Argument(help="The skill's name.")]) -> None:
    """Print a skill's full text, as the model reads it with skill_read."""
    from pa_cli.errors import NotFoundError
    from pa_cli.sanitize import clean

    skills = _skills()
    skill = skills.get(name)
    if skill is None:
        raise NotFoundError(f"no skill named {name!r}", hint="`pa skills list` shows them")
    typer.echo(clean(skill.full_text()))


@app.command("add")
def add(path: Annotated[Path, typer.Argument(help="A folder with a SKILL.md.")]) -> None:
    """Check a skill folder's SKILL.md and copy the folder into your skills."""
    from pa_cli.errors import UsageError
    from pa_cli.skills import SkillError
    from pa_cli.skills.install import add_skill

    try:
        skill = add_skill(path, runtime.load().app_paths.skills_dir)
    except SkillError as exc:
        raise UsageError(str(exc)) from None
    typer.echo(f"added skill {skill.name}: {skill.folder}")
