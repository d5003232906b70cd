"""Tools from the ``pa_cli.tools`` entry-point group: built-ins and plugins alike.

An entry point names a ``Tool`` subclass or a list/tuple of them (an instance
is accepted too)::

    [project.entry-points."pa_cli.tools"]
    word_count = "pa_word_count:WordCount"
    my_tools = "my_package.tools:TOOLS"

The built-ins come from pa-cli's own entry points, so the plugin path runs on
every start. A plugin that fails to import, or that names a bad tool, is
reported as a warning naming its distribution and what to do; start-up goes on
without it. ``importlib.metadata.entry_points(group=...)`` scans the installed
distributions (about 3 ms warm, 40 ms with the first import of
``importlib.metadata``): call it once per process.
"""

from __future__ import annotations

import inspect
import logging
import re
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from pydantic import BaseModel

from pa_cli.tools.base import TOOL_NAME_RE, Tool

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "pa_cli.tools"
CORE_DISTRIBUTION = "pa-cli"
#: Tool names longer than this are refused by some LLM providers (OpenAI: 64).
MAX_TOOL_NAME_LENGTH = 64

#: pa-cli's own entry points, as declared in pyproject.toml. Also loaded directly
#: when the installed metadata predates them (a stale editable install), so the
#: built-ins never go missing.
BUILTIN_ENTRY_POINTS: dict[str, str] = {
    "builtin_plan": "pa_cli.tools.builtin.plan:TOOLS",
    "builtin_fs": "pa_cli.tools.builtin.fs:TOOLS",
    "builtin_system_prompt": "pa_cli.tools.builtin.system_prompt:TOOLS",
    "builtin_skills": "pa_cli.tools.builtin.skills:TOOLS",
    "builtin_memory": "pa_cli.tools.builtin.memory:TOOLS",
    "google_gmail": "pa_cli.tools.google.gmail:GMAIL_TOOLS",
    "google_calendar": "pa_cli.tools.google.calendar:CALENDAR_TOOLS",
}


@dataclass(frozen=True)
class FoundTool:
    """A tool and where it came from: ``builtin``, ``plugin:<dist>`` or ``mcp:<server>``."""

    tool: Tool
    source: str
    #: Who to name in a warning about this tool ("plugin pa-word-count (entry point ...)").
    origin: str
    #: What a user can do when this tool is refused.
    remedy: str


def canonical_distribution_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def tool_problem(tool: Any) -> str | None:
    """What is wrong with ``tool`` as a Tool, or ``None`` when it can be offered."""
    if not isinstance(tool, Tool):
        return f"{tool!r} is not a pa_cli.tools.base.Tool"
    name = getattr(tool, "name", None)
    if not isinstance(name, str) or not TOOL_NAME_RE.match(name):
        return f"tool name {name!r} is not valid (it must match {TOOL_NAME_RE.pattern})"
    if len(name) > MAX_TOOL_NAME_LENGTH:
        return f"tool name {name!r} is longer than {MAX_TOOL_NAME_LENGTH} characters"
    description = getattr(tool, "description", None)
    if not isinstance(description, str) or not description.strip():
        return f"tool {name!r} has no description"
    args_model = getattr(tool, "args_model", None)
    if not (isinstance(args_model, type) and issubclass(args_model, BaseModel)):
        return f"tool {name!r}: args_model is not a pydantic model"
    if not isinstance(getattr(tool, "side_effect", None), bool):
        return f"tool {name!r}: side_effect is not True or False"
    requires = getattr(tool, "requires", None)
    if not isinstance(requires, tuple | list) or not all(isinstance(s, str) for s in requires):
        return f"tool {name!r}: requires is not a list of scopes"
    if not inspect.iscoroutinefunction(tool.run):
        return f"tool {name!r}: run is not an async function"
    try:
        schema = tool.json_schema()
    except Exception as exc:
        return f"tool {name!r}: its arguments have no JSON schema ({type(exc).__name__})"
    if not isinstance(schema, dict) or schema.get("type", "object") != "object":
        return f"tool {name!r}: its arguments schema is not a JSON object schema"
    return None


def tools_from_object(obj: Any) -> list[Any]:
    """Instantiate what an entry point names: a Tool subclass, an instance, or a list/tuple of them."""
    items = list(obj) if isinstance(obj, list | tuple) else [obj]
    tools: list[Any] = []
    for item in items:
        if isinstance(item, type) and issubclass(item, Tool):
            tools.append(item())
        else:
            tools.append(item)
    return tools


def _origin_and_remedy(ep: EntryPoint, dist_name: str | None) -> tuple[str, str, str]:
    """(source, origin, remedy) for tools from one entry point."""
    if dist_name is not None and canonical_distribution_name(dist_name) == CORE_DISTRIBUTION:
        origin = f"built-in entry point {ep.name} = {ep.value}"
        return "builtin", origin, "this is a bug in pa: please report it"
    dist = dist_name or "an unknown distribution"
    origin = f"plugin {dist} (entry point {ep.name} = {ep.value})"
    uninstall = f"pip uninstall {dist_name}" if dist_name else "remove the package"
    remedy = f"upgrade the plugin or uninstall it ({uninstall}), and tell its author"
    return f"plugin:{dist_name or 'unknown'}", origin, remedy


def load_entry_point(ep: EntryPoint, dist_name: str | None) -> tuple[list[FoundTool], list[str]]:
    """Load one entry point into checked tools; every problem becomes a warning, never an exception."""
    source, origin, remedy = _origin_and_remedy(ep, dist_name)
    try:
        objects = tools_from_object(ep.load())
    except (Exception, SystemExit) as exc:
        logger.debug("loading %s failed", origin, exc_info=True)
        detail = f"{type(exc).__name__}: {str(exc)[:300]}" if str(exc) else type(exc).__name__
        return [], [f"{origin} failed to load ({detail}); skipped. To fix: {remedy}."]
    found: list[FoundTool] = []
    warnings: list[str] = []
    for tool in objects:
        problem = tool_problem(tool)
        if problem is not None:
            warnings.append(f"{origin}: {problem}; skipped. To fix: {remedy}.")
            continue
        found.append(FoundTool(tool=tool, source=source, origin=origin, remedy=remedy))
    return found, warnings


def discover_entry_point_tools() -> tuple[list[FoundTool], list[str]]:
    """Every tool from the entry-point group: pa-cli's built-ins first, then plugins by name."""
    eps = entry_points(group=ENTRY_POINT_GROUP)
    core: list[tuple[EntryPoint, str | None]] = []
    others: list[tuple[EntryPoint, str | None]] = []
    seen_core_values: set[str] = set()
    for ep in eps:
        dist_name = ep.dist.name if ep.dist is not None else None
        if dist_name is not None and canonical_distribution_name(dist_name) == CORE_DISTRIBUTION:
            core.append((ep, dist_name))
            seen_core_values.add(ep.value)
        else:
            others.append((ep, dist_name))
    for name, value in BUILTIN_ENTRY_POINTS.items():
        if value not in seen_core_values:
            core.append((EntryPoint(name, value, ENTRY_POINT_GROUP), CORE_DISTRIBUTION))
    core.sort(key=lambda pair: pair[0].name)
    others.sort(key=lambda pair: (canonical_distribution_name(pair[1] or ""), pair[0].name))
    found: list[FoundTool] = []
    warnings: list[str] = []
    for ep, dist_name in [*core, *others]:
        tools, problems = load_entry_point(ep, dist_name)
        found.extend(tools)
        warnings.extend(problems)
    return found, warnings
