"""Skills: a folder with a SKILL.md (front matter ``name`` and ``description``, then instructions).

Skills come from ``<PA_HOME>/skills/*/SKILL.md`` (the user's own; ``pa skills
add``) and from plugins (entry-point group ``pa_cli.skills``, naming a folder,
a list of folders, or a callable that returns them; a folder may be one skill
or hold several). The model is offered one line per skill (name and
description); it reads a skill's full text with the ``skill_read`` tool only
when it needs it. A skill is text: it cannot grant a tool, lift a policy or an
approval, or change what ``enabled_tools`` allows; tools run as they would
without it. The user's skills and installed plugins' are the user's own
choice, so their text is not marked untrusted.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "pa_cli.skills"
SKILL_FILE = "SKILL.md"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_DESCRIPTION_CHARS = 1024
MAX_SKILL_BYTES = 200_000
#: Plugins' skill folders per ``sys.path``: scanning every installed distribution's entry points
#: costs ~5 ms (far more on a busy disk), and a server's turns each ran it on the event loop.
_PLUGIN_ROOTS: dict[tuple[str, ...], list[tuple[Path, str]]] = {}
_PLUGIN_ROOTS_LOCK = threading.Lock()


class SkillError(ValueError):
    """A SKILL.md that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Skill:
    name: str
    description: str
    instructions: str
    folder: Path
    #: ``user`` or ``plugin:<distribution>``.
    source: str

    def files(self) -> list[str]:
        """The other files of the skill's folder (relative paths), which its instructions may name."""
        found = []
        for path in sorted(self.folder.rglob("*")):
            if path.is_file() and path.name != SKILL_FILE and not path.name.startswith("."):
                found.append(path.relative_to(self.folder).as_posix())
        return found[:50]

    def full_text(self) -> str:
        lines = [f"# Skill: {self.name}", self.description, "", self.instructions.strip()]
        files = self.files()
        if files:
            lines += ["", "Files in this skill's folder: " + ", ".join(files)]
        return "\n".join(lines)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def parse_skill(text: str, folder: Path, source: str) -> Skill:
    """A Skill from SKILL.md text: ``---`` front matter with ``name:`` and ``description:``, then the body."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise SkillError(f"{folder / SKILL_FILE}: it must start with a '---' front matter line")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise SkillError(f"{folder / SKILL_FILE}: the front matter has no closing '---' line") from None
    fields: dict[str, str] = {}
    current: str | None = None
    for line in lines[1:end]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[:1].isspace() and current is not None:  # a folded continuation line
            fields[current] = (fields[current] + " " + line.strip()).strip()
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise SkillError(f"{folder / SKILL_FILE}: front matter line {line.strip()!r} is not 'key: value'")
        current = key.strip().lower()
        value = value.strip()
        fields[current] = "" if value in (">", "|", ">-", "|-") else _unquote(value)
    name = fields.get("name", "")
    description = " ".join(fields.get("description", "").split())
    if not NAME_RE.match(name):
        raise SkillError(
            f"{folder / SKILL_FILE}: name {name!r} must be lowercase letters, digits, '-' or '_' (at most 64)"
        )
    if not description:
        raise SkillError(f"{folder / SKILL_FILE}: a description is required (what the skill is for)")
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise SkillError(
            f"{folder / SKILL_FILE}: the description is longer than {MAX_DESCRIPTION_CHARS} characters"
        )
    body = "\n".join(lines[end + 1 :]).strip()
    if not body:
        raise SkillError(f"{folder / SKILL_FILE}: it has no instructions after the front matter")
    return Skill(name=name, description=description, instructions=body, folder=folder, source=source)


def read_skill(folder: Path, source: str = "user") -> Skill:
    path = folder / SKILL_FILE
    try:
        if path.stat().st_size > MAX_SKILL_BYTES:
            raise SkillError(f"{path}: larger than {MAX_SKILL_BYTES // 1000} kB")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SkillError(f"{folder}: no {SKILL_FILE} in it") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SkillError(f"{path}: cannot be read ({type(exc).__name__})") from None
    return parse_skill(text, folder, source)


def _folders(root: Path) -> list[Path]:
    """``root`` when it is a skill, else its sub-folders that are."""
    if (root / SKILL_FILE).is_file():
        return [root]
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / SKILL_FILE).is_file())


def _plugin_roots() -> list[tuple[Path, str]]:
    """The folders plugins name, found once per ``sys.path``: what is installed does not change under a
    running process (a plugin installed later is seen after a restart, as its tools are). The folders
    themselves are read again on every load, so a plugin's edited skill shows at once."""
    key = tuple(sys.path)
    with _PLUGIN_ROOTS_LOCK:
        roots = _PLUGIN_ROOTS.get(key)
        if roots is None:
            roots = _PLUGIN_ROOTS[key] = _scan_plugin_roots()
    return list(roots)


def _scan_plugin_roots() -> list[tuple[Path, str]]:
    from importlib.metadata import entry_points

    roots: list[tuple[Path, str]] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else "unknown"
        try:
            obj: Any = ep.load()
            if callable(obj):
                obj = obj()
            items = obj if isinstance(obj, list | tuple) else [obj]
            roots.extend((Path(str(item)), f"plugin:{dist}") for item in items)
        except Exception as exc:
            logger.warning("skills plugin %s (%s) failed to load: %s", dist, ep.value, type(exc).__name__)
    return roots


@dataclass
class SkillSet:
    skills: dict[str, Skill]
    warnings: list[str]

    def get(self, name: str) -> Skill | None:
        return self.skills.get(name)

    def all(self) -> list[Skill]:
        return list(self.skills.values())


def load_skills(user_dir: Path | None, *, plugins: bool = True) -> SkillSet:
    """The user's skills first (they win a name clash), then plugins'; bad ones become warnings."""
    roots: list[tuple[Path, str]] = [(user_dir, "user")] if user_dir is not None else []
    if plugins:
        roots += _plugin_roots()
    skills: dict[str, Skill] = {}
    warnings: list[str] = []
    for root, source in roots:
        for folder in _folders(root):
            try:
                skill = read_skill(folder, source)
            except SkillError as exc:
                warnings.append(f"skill skipped: {exc}")
                continue
            if skill.name in skills:
                warnings.append(f"skill {skill.name!r} from {source} skipped: the name is taken")
                continue
            skills[skill.name] = skill
    return SkillSet(skills, warnings)


def one_line(skills: Iterable[Skill], width: int = 200) -> list[tuple[str, str]]:
    """(name, description cut to one short line) for the model's prompt."""
    out = []
    for skill in skills:
        text = skill.description if len(skill.description) <= width else skill.description[: width - 1] + "…"
        out.append((skill.name, text))
    return out
