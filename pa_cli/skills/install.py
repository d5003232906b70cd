"""``pa skills add PATH``: copy a skill folder into the user's skills, after checking its SKILL.md."""

from __future__ import annotations

import shutil
from pathlib import Path

from pa_cli.skills import Skill, SkillError, read_skill

MAX_FOLDER_BYTES = 5_000_000


def add_skill(source: Path, skills_dir: Path) -> Skill:
    """Validate ``source`` (a folder with a SKILL.md) and copy it to ``skills_dir/<name>``."""
    folder = source.expanduser()
    if not folder.is_dir():
        raise SkillError(f"{source}: not a folder (a skill is a folder with a SKILL.md)")
    skill = read_skill(folder)
    links = [p for p in folder.rglob("*") if p.is_symlink()]
    if links:
        raise SkillError(f"{links[0]}: a skill may not contain symbolic links")
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    if size > MAX_FOLDER_BYTES:
        raise SkillError(f"{source}: the folder is larger than {MAX_FOLDER_BYTES // 1_000_000} MB")
    target = skills_dir / skill.name
    if target.exists():
        raise SkillError(f"a skill named {skill.name!r} is already installed ({target}); remove it first")
    skills_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(folder, target, symlinks=False, ignore=shutil.ignore_patterns(".git", "__pycache__"))
    return read_skill(target)
