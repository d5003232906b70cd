"""Tools from MCP servers listed in config (``tools.mcp_servers``), over the mcp SDK's stdio client.

Each server is started once at discovery to list its tools, then once per call
(spawn per call: no long-lived process to supervise, and a crashed server only
fails the call that hit it). A tool is offered as ``<server>_<tool>``, both parts
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
import os
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar

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
        import anyio

        arguments = args.model_dump() if isinstance(args, BaseModel) else dict(args)
        try:
            with anyio.fail_after(CALL_TIMEOUT_SECONDS):
                async with _session(self.server, self.log_dir) as session:
                    result = await session.call_tool(self.remote_name, arguments)
        except TimeoutError:
            raise ToolError(
                f"MCP server {self.server.name!r} did not answer within {CALL_TIMEOUT_SECONDS:.0f} s"
            ) from None
        except Exception as exc:
            raise ToolError(f"MCP server {self.server.name!r} failed: {_describe(exc)}") from None
        return _to_result(self.server.name, self.remote_name, result)


def _describe(exc: BaseException) -> str:
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


@contextmanager
def _errlog(server: MCPServerSettings, log_dir: Path | None) -> Iterator[IO[str]]:
    """Where the server's stderr goes: its own log file, or nowhere."""
    target = os.devnull
    if log_dir is not None:
        try:
            log_dir.mkdir(parents=True, exist_ok=True)
            target = str(log_dir / f"mcp-{sanitize_name_part(server.name) or 'server'}.log")
        except OSError:
            target = os.devnull
    with open(target, "a", encoding="utf-8") as fh:
        yield fh


@asynccontextmanager
async def _session(server: MCPServerSettings, log_dir: Path | None) -> AsyncIterator[Any]:
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=server.command, args=list(server.args), env=dict(server.env))
    with _errlog(server, log_dir) as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session


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


async def _list_remote_tools(server: MCPServerSettings, log_dir: Path | None) -> list[Any]:
    import anyio

    remote: list[Any] = []
    with anyio.fail_after(LIST_TIMEOUT_SECONDS):
        async with _session(server, log_dir) as session:
            cursor: str | None = None
            while True:
                if cursor is None:
                    page = await session.list_tools()
                else:
                    from mcp_types import PaginatedRequestParams

                    page = await session.list_tools(params=PaginatedRequestParams(cursor=cursor))
                remote.extend(page.tools)
                cursor = page.next_cursor
                if not cursor:
                    break
    return remote


async def _discover_server(
    server: MCPServerSettings, log_dir: Path | None
) -> tuple[list[FoundTool], list[str]]:
    origin = f"MCP server {server.name!r} ({server.command})"
    remedy = "check tools.mcp_servers in the config (`pa config show`) and that the command runs on its own"
    try:
        remote = await _list_remote_tools(server, log_dir)
    except TimeoutError:
        return [], [
            f"{origin} did not list its tools within {LIST_TIMEOUT_SECONDS:.0f} s; skipped. {remedy}."
        ]
    except Exception as exc:
        return [], [f"{origin} could not be started or listed ({_describe(exc)}); skipped. To fix: {remedy}."]
    found: list[FoundTool] = []
    warnings: list[str] = []
    for item in remote:
        try:
            tool = make_mcp_tool(server, item, log_dir)
            _validator_class(tool.input_schema).check_schema(tool.input_schema)
        except Exception as exc:
            warnings.append(
                f"{origin}: tool {item.name!r} has an unusable schema ({_describe(exc)}); skipped."
            )
            continue
        problem = tool_problem(tool)
        if problem is not None:
            warnings.append(f"{origin}: {problem}; skipped.")
            continue
        found.append(FoundTool(tool=tool, source=f"mcp:{server.name}", origin=origin, remedy=remedy))
    return found, warnings


async def discover_mcp_tools(
    servers: Sequence[MCPServerSettings], log_dir: Path | None = None
) -> tuple[list[FoundTool], list[str]]:
    """The tools of every configured server, started concurrently; failures become warnings."""
    import asyncio

    results = await asyncio.gather(*(_discover_server(s, log_dir) for s in servers))
    found: list[FoundTool] = []
    warnings: list[str] = []
    for tools, problems in results:
        found.extend(tools)
        warnings.extend(problems)
    return found, warnings
