"""Tools from MCP servers listed in config (``tools.mcp_servers``), over the mcp SDK's stdio client.

Each server is one long-lived process per event loop (``mcp_connection``):
started on first use, reused by every call, restarted when it has died. Tool
lists are cached between commands (``mcp_cache``), so discovery starts no
process when the cache is warm, and a server that failed is not retried on
every command. ``notifications/tools/list_changed`` refreshes the list (and the
cache) while a session is live. A tool is offered as ``<server>_<tool>``, both parts
sanitised to the tool-name pattern. Its JSON schema is what the LLM sees, and
arguments are checked against it (jsonschema) before the server is called.
Results are untrusted data. A tool counts as a side effect unless the server
annotates it ``readOnlyHint: true``. The server's stderr goes to
``<cache>/logs/mcp-<server>.log``, never to the terminal; it gets only a safe
minimal environment (the SDK's default) plus the ``env`` from config.

The mcp SDK costs ~0.6 s to import: it is imported only when a server is configured.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator

from pa_cli.tools.base import Tool, ToolContext, ToolError, ToolResult
from pa_cli.tools.plugins import MAX_TOOL_NAME_LENGTH, FoundTool, tool_problem

if TYPE_CHECKING:
    from pa_cli.config import MCPServerSettings

logger = logging.getLogger(__name__)

#: Starting a server and listing its tools; calling one tool (including the start).
LIST_TIMEOUT_SECONDS = 30.0
CALL_TIMEOUT_SECONDS = 120.0
MAX_DESCRIPTION_CHARS = 2000
MAX_RESULT_CHARS = 100_000


def sanitize_name_part(text: str) -> str:
    """Lowercase, with every run of other characters as one underscore."""
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]", "_", text.lower())).strip("_")


def mcp_tool_name(server: str, tool: str) -> str:
    """``<server>_<tool>`` as a valid tool name (at most 64 characters)."""
    name = "_".join(p for p in (sanitize_name_part(server), sanitize_name_part(tool)) if p) or "mcp_tool"
    if not name[0].isalpha():
        name = "mcp_" + name
    if len(name) > MAX_TOOL_NAME_LENGTH:
        digest = hashlib.sha256(f"{server}\0{tool}".encode()).hexdigest()[:8]
        name = name[: MAX_TOOL_NAME_LENGTH - 9].rstrip("_") + "_" + digest
    return name


def _validator_class(schema: dict[str, Any]) -> Any:
    """The jsonschema validator for the schema's own draft (2020-12 when it names none)."""
    import jsonschema  # type: ignore[import-untyped]

    return jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)


class MCPArgs(BaseModel):
    """Arguments of an MCP tool: any JSON object, checked against the tool's own schema."""

    model_config = ConfigDict(extra="allow")
    input_schema: ClassVar[dict[str, Any]] = {"type": "object"}

    @model_validator(mode="before")
    @classmethod
    def _check_against_schema(cls, data: Any) -> Any:
        validator = _validator_class(cls.input_schema)(cls.input_schema)
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
        if errors:
            parts = []
            for err in errors[:5]:
                where = "/".join(str(p) for p in err.path)
                parts.append(f"{where}: {err.message}" if where else err.message)
            raise ValueError("; ".join(parts))
        return data


def _args_model(tool_name: str, schema: dict[str, Any]) -> type[MCPArgs]:
    def schema_extra(target: dict[str, Any]) -> None:
        target.clear()
        target.update(schema)

    namespace: dict[str, Any] = {
        "input_schema": schema,
        "model_config": ConfigDict(extra="allow", json_schema_extra=schema_extra),
        "__module__": __name__,
    }
    return type(f"MCPArgs_{tool_name}", (MCPArgs,), namespace)


class MCPTool(Tool):
    """One tool of one MCP server; concrete classes are made by ``make_mcp_tool``."""

    untrusted_output = True
    server: ClassVar[MCPServerSettings]
    remote_name: ClassVar[str]
    input_schema: ClassVar[dict[str, Any]]
    log_dir: ClassVar[Path | None] = None

    def json_schema(self) -> dict[str, Any]:
        return dict(self.input_schema)

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        from pa_cli.tools.mcp_connection import MCPServerError, pool_for_running_loop

        arguments = args.model_dump() if isinstance(args, BaseModel) else dict(args)
        connection = pool_for_running_loop().get(self.server, self.log_dir)
        try:
            result = await connection.call_tool(self.remote_name, arguments, CALL_TIMEOUT_SECONDS)
        except MCPServerError as exc:
            raise ToolError(str(exc)) from None
        return _to_result(self.server.name, self.remote_name, result)


def describe_error(exc: BaseException) -> str:
    """The first real error inside (possibly nested) exception groups, as ``Type: message``."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message[:300]}" if message else type(exc).__name__


def _to_result(server: str, tool: str, result: Any) -> ToolResult:
    texts: list[str] = []
    for block in getattr(result, "content", None) or []:
        kind = getattr(block, "type", "unknown")
        if kind == "text":
            texts.append(str(block.text))
        else:
            texts.append(f"[{kind} content: {getattr(block, 'mime_type', None) or 'not shown'}]")
    text = "\n".join(texts)
    if len(text) > MAX_RESULT_CHARS:
        text = text[:MAX_RESULT_CHARS] + "\n[... cut: the result was too long]"
    content: dict[str, Any] = {"text": text}
    structured = getattr(result, "structured_content", None)
    if structured is not None:
        content["structured"] = structured
    first = text.strip().splitlines()[0][:160] if text.strip() else "no text"
    if getattr(result, "is_error", False):
        return ToolResult(
            ok=False, content=content, summary=f"{server} {tool} failed: {first}", untrusted=True
        )
    return ToolResult(ok=True, content=content, summary=f"{server} {tool}: {first}", untrusted=True)


def make_mcp_tool(server: MCPServerSettings, remote: Any, log_dir: Path | None) -> MCPTool:
    """A Tool for the MCP tool description ``remote`` (an ``mcp_types.Tool``)."""
    name = mcp_tool_name(server.name, remote.name)
    schema = dict(remote.input_schema or {"type": "object"})
    annotations = getattr(remote, "annotations", None)
    read_only = bool(annotations is not None and annotations.read_only_hint is True)
    text = (remote.description or "").strip() or f"The {remote.name} tool."
    description = f"[MCP server {server.name}, tool {remote.name}] {text}"[:MAX_DESCRIPTION_CHARS]
    namespace: dict[str, Any] = {
        "name": name,
        "description": description,
        "args_model": _args_model(name, schema),
        "side_effect": not read_only,
        "server": server,
        "remote_name": remote.name,
        "input_schema": schema,
        "log_dir": log_dir,
        "__module__": __name__,
    }
    cls = type(f"MCPTool_{name}", (MCPTool,), namespace)
    tool = cls()
    assert isinstance(tool, MCPTool)
    return tool


async def _remote_tools(
    server: MCPServerSettings, log_dir: Path | None, cache_dir: Path | None
) -> tuple[list[Any] | None, str | None]:
    """(tools, None) or (None, why not): from the cache when it has the server, else from a live session."""
    from pa_cli.tools import mcp_cache
    from pa_cli.tools.mcp_connection import MCPServerError, pool_for_running_loop

    cached = mcp_cache.load(server, cache_dir)
    if cached is not None:
        if cached.tools is not None:
            return cached.tools, None
        return (
            None,
            f"{cached.error} (remembered from an earlier try; retried after {mcp_cache.FAILURE_TTL_SECONDS:.0f} s)",
        )
    connection = pool_for_running_loop().get(server, log_dir)
    try:
        remote = await connection.list_tools(LIST_TIMEOUT_SECONDS)
    except (MCPServerError, TimeoutError) as exc:
        error = str(exc) or f"did not list its tools within {LIST_TIMEOUT_SECONDS:.0f} s"
        mcp_cache.save_failure(server, cache_dir, error)
        return None, error
    except Exception as exc:
        error = f"could not be started or listed ({describe_error(exc)})"
        mcp_cache.save_failure(server, cache_dir, error)
        return None, error
    mcp_cache.save_tools(server, cache_dir, remote)
    return remote, None


def build_tools(
    server: MCPServerSettings, remote: Sequence[Any], log_dir: Path | None
) -> tuple[list[FoundTool], list[str]]:
    """Checked tools for a server's tool descriptions; unusable ones become warnings."""
    origin = f"MCP server {server.name!r} ({server.command})"
    remedy = REMEDY
    found: list[FoundTool] = []
    warnings: list[str] = []
    for item in remote:
        try:
            tool = make_mcp_tool(server, item, log_dir)
            _validator_class(tool.input_schema).check_schema(tool.input_schema)
        except Exception as exc:
            warnings.append(
                f"{origin}: tool {item.name!r} has an unusable schema ({describe_error(exc)}); skipped."
            )
            continue
        problem = tool_problem(tool)
        if problem is not None:
            warnings.append(f"{origin}: {problem}; skipped.")
            continue
        found.append(FoundTool(tool=tool, source=f"mcp:{server.name}", origin=origin, remedy=remedy))
    return found, warnings


REMEDY = "check tools.mcp_servers in the config (`pa config show`) and that the command runs on its own"


async def _discover_server(
    server: MCPServerSettings, log_dir: Path | None, cache_dir: Path | None
) -> tuple[list[FoundTool], list[str]]:
    remote, error = await _remote_tools(server, log_dir, cache_dir)
    if remote is None:
        origin = f"MCP server {server.name!r} ({server.command})"
        return [], [f"{origin}: {error}; skipped. To fix: {REMEDY}."]
    return build_tools(server, remote, log_dir)


async def discover_mcp_tools(
    servers: Sequence[MCPServerSettings], log_dir: Path | None = None, cache_dir: Path | None = None
) -> tuple[list[FoundTool], list[str]]:
    """The tools of every configured server (cache first, then started concurrently); failures warn."""
    import asyncio

    results = await asyncio.gather(*(_discover_server(s, log_dir, cache_dir) for s in servers))
    found: list[FoundTool] = []
    warnings: list[str] = []
    for tools, problems in results:
        found.extend(tools)
        warnings.extend(problems)
    return found, warnings


def watch_tool_changes(
    server: MCPServerSettings,
    log_dir: Path | None,
    cache_dir: Path | None,
    replace: Callable[[str, list[FoundTool]], None],
) -> None:
    """After ``tools/list_changed`` from this server (in this loop): save the new list, swap the tools."""
    from pa_cli.tools import mcp_cache
    from pa_cli.tools.mcp_connection import pool_for_running_loop

    def on_change(remote: list[Any]) -> None:
        mcp_cache.save_tools(server, cache_dir, remote)
        found, warnings = build_tools(server, remote, log_dir)
        for warning in warnings:
            logger.warning("%s", warning)
        replace(f"mcp:{server.name}", found)

    pool_for_running_loop().get(server, log_dir).listeners.append(on_change)
