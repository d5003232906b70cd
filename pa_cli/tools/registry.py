"""The tool registry, and ``execute_tool``: the one way a tool is run.

``ToolRegistry.load(settings)`` gathers the tools of every source: the
``pa_cli.tools`` entry points (pa-cli's built-ins first, then plugins) and the
MCP servers in ``tools.mcp_servers``. A tool with a bad name, a duplicate name
or a plugin that fails to import is skipped with a warning (``.warnings``),
never a crash. Tools that the configuration denies (``tools.policy.<name> =
deny``, ``gmail_send`` under ``gmail.mode = draft_only``) are not offered;
``.hidden`` says why.

``execute_tool`` validates the arguments against the tool's model (an error
goes back to the LLM as a failed ``ToolResult``), writes the call's begin row
to the audit ledger, runs the tool, turns its failures into results, and closes
the ledger entry. Approval is not decided here: the agent asks
(``policy.decide_policy``) before it calls, and ``audit_refusal`` records the
calls that policy stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from pa_cli.errors import NotFoundError, PaError
from pa_cli.tools.base import Tool, ToolContext, ToolError, ToolResult
from pa_cli.tools.plugins import FoundTool, discover_entry_point_tools, tool_problem
from pa_cli.tools.policy import hidden_reason

if TYPE_CHECKING:
    from pa_cli.config import Settings
    from pa_cli.store import Store

logger = logging.getLogger(__name__)

__all__ = ["ToolRegistry", "audit_refusal", "execute_tool", "format_validation_error"]


class ToolRegistry:
    """The tools on offer by name, each with a source: ``builtin``, ``plugin:<dist>`` or ``mcp:<server>``."""

    def __init__(self, found: Iterable[FoundTool] = (), *, settings: Settings | None = None) -> None:
        self._tools: dict[str, FoundTool] = {}
        self.hidden: dict[str, str] = {}
        self.warnings: list[str] = []
        self._settings = settings
        for item in found:
            self.add(item)

    @classmethod
    def from_tools(
        cls, tools: Iterable[Tool], *, settings: Settings | None = None, source: str = "builtin"
    ) -> ToolRegistry:
        """A registry of exactly these tools (for tests and embedding)."""
        found = [
            FoundTool(t, source, origin=f"{type(t).__module__}.{type(t).__qualname__}", remedy="fix it")
            for t in tools
        ]
        return cls(found, settings=settings)

    @classmethod
    def load(cls, settings: Settings, *, include_mcp: bool = True) -> ToolRegistry:
        """Every source; MCP servers are started and listed (in a helper thread when a loop runs here)."""
        registry = cls._from_entry_points(settings)
        if include_mcp and settings.tools.mcp_servers:
            coro = registry._add_mcp(settings)
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                asyncio.run(coro)
            else:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pa-mcp-list") as pool:
                    pool.submit(asyncio.run, coro).result()
        return registry

    @classmethod
    async def aload(cls, settings: Settings, *, include_mcp: bool = True) -> ToolRegistry:
        """``load`` for async callers: MCP servers are listed on the running loop."""
        registry = cls._from_entry_points(settings)
        if include_mcp and settings.tools.mcp_servers:
            await registry._add_mcp(settings)
        return registry

    @classmethod
    def _from_entry_points(cls, settings: Settings) -> ToolRegistry:
        registry = cls(settings=settings)
        found, warnings = discover_entry_point_tools()
        for warning in warnings:
            registry._warn(warning)
        for item in found:
            registry.add(item)
        return registry

    async def _add_mcp(self, settings: Settings) -> None:
        from pa_cli.tools.mcp_source import discover_mcp_tools, watch_tool_changes

        log_dir = settings.app_paths.log_dir if settings.paths is not None else None
        cache_dir = settings.app_paths.cache_dir if settings.paths is not None else None
        found, warnings = await discover_mcp_tools(settings.tools.mcp_servers, log_dir, cache_dir)
        for warning in warnings:
            self._warn(warning)
        for item in found:
            self.add(item)
        for server in settings.tools.mcp_servers:
            watch_tool_changes(server, log_dir, cache_dir, self.replace_source)

    def replace_source(self, source: str, found: Iterable[FoundTool]) -> None:
        """Swap the tools of one source (an MCP server whose list changed) for ``found``."""
        for name in [n for n, item in self._tools.items() if item.source == source]:
            del self._tools[name]
        for item in found:
            self.add(item)

    def _warn(self, message: str) -> None:
        logger.warning("%s", message)
        self.warnings.append(message)

    def add(self, item: FoundTool) -> bool:
        """Offer one tool; False (with a warning) when it is invalid or its name is taken."""
        problem = tool_problem(item.tool)
        if problem is not None:
            self._warn(f"{item.origin}: {problem}; skipped. To fix: {item.remedy}.")
            return False
        name = item.tool.name
        existing = self._tools.get(name)
        if existing is not None or name in self.hidden:
            owner = existing.origin if existing is not None else "another tool (denied by the config)"
            self._warn(
                f"{item.origin}: tool name {name!r} is already taken by {owner}; skipped. "
                f"To fix: {item.remedy}."
            )
            return False
        reason = hidden_reason(name, self._settings) if self._settings is not None else None
        if reason is not None:
            self.hidden[name] = reason
            return False
        self._tools[name] = item
        return True

    def with_tools(self, tools: Iterable[Tool], *, source: str = "builtin") -> ToolRegistry:
        """A copy of this registry that also offers ``tools`` (a routine's turn adds ``routine_report``)."""
        copy = ToolRegistry(self._tools.values(), settings=self._settings)
        copy.hidden.update(self.hidden)
        for tool in tools:
            copy.add(
                FoundTool(
                    tool, source, origin=f"{type(tool).__module__}.{type(tool).__qualname__}", remedy="fix it"
                )
            )
        return copy

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def find(self, name: str) -> Tool | None:
        item = self._tools.get(name)
        return item.tool if item is not None else None

    def get(self, name: str) -> Tool:
        """The tool called ``name``; NotFoundError (saying why) when it is not offered."""
        item = self._tools.get(name)
        if item is not None:
            return item.tool
        if name in self.hidden:
            raise NotFoundError(f"tool {name!r} is not offered ({self.hidden[name]})")
        raise NotFoundError(f"no tool named {name!r}", hint="`pa tools list` shows the tools on offer")

    def source_of(self, name: str) -> str:
        return self._tools[name].source

    def names(self) -> list[str]:
        return list(self._tools)

    def all(self) -> list[Tool]:
        return [item.tool for item in self._tools.values()]

    def describe(self) -> list[dict[str, Any]]:
        """Name, description, schema, side_effect, source and requires of every tool on offer."""
        return [
            {
                "name": item.tool.name,
                "description": item.tool.description,
                "schema": item.tool.json_schema(),
                "side_effect": item.tool.side_effect,
                "source": item.source,
                "requires": list(item.tool.requires),
            }
            for item in self._tools.values()
        ]

    def sync_to_store(self, store: Store) -> None:
        """Persist the tools on offer into the ``tool_registry`` table."""
        store.tool_registry.sync(self.describe())


# --- running a tool ------------------------------------------------------------------


def format_validation_error(exc: ValidationError) -> str:
    """``field: message; ...`` in words the LLM can act on (never the rejected values)."""
    parts: list[str] = []
    for err in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in err["loc"])
        message = err["msg"]
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts[:8]) or "arguments do not match the tool's schema"


def _arguments_for_audit(raw: Any) -> dict[str, Any]:
    """The arguments as given: their digest then equals the hash of the approval that previewed them."""
    from pa_cli.tools.base import has_invalid_unicode

    if has_invalid_unicode(raw):  # cannot be hashed as UTF-8: record its escaped form instead
        return {"_invalid_unicode": ascii(raw)[:1000]}
    if isinstance(raw, dict):
        return raw
    return {"_not_an_object": repr(raw)[:1000]}


async def execute_tool(
    tool: Tool,
    raw_arguments: Any,
    ctx: ToolContext,
    *,
    approval_id: str | None = None,
    preview: str | None = None,
    frozen: dict[str, Any] | None = None,
) -> ToolResult:
    """Validate, audit, run, audit: one tool call, always a ``ToolResult``, never an exception from the tool.

    The ledger gets a begin row (``executing``) before the tool runs and a closing row after
    (``executed``, ``failed``, or ``cancelled`` when the task is cancelled mid-run); a call that
    never starts (invalid arguments, refused by the guard) gets one row. The audit's arguments
    digest is over ``raw_arguments`` as given (the approval's hash covers the same dict).
    An approved call (``approval_id`` given) runs ``tool.run_prepared(args, frozen, ctx)``:
    exactly the request its approval previewed; it is then marked executed, whatever the result.
    Any other call runs ``tool.run``. Store errors while auditing propagate: an execution that
    cannot be audited does not run, or is not hidden.
    """
    audit_fields: dict[str, Any] = {
        "user_id": ctx.user_id,
        "tool": tool.name,
        "arguments": _arguments_for_audit(raw_arguments),
        "preview": preview,
        "frontend": ctx.frontend,
        "client_id": ctx.client_id,
        "approval_id": approval_id,
        "session_id": ctx.session_id,
    }
    try:
        args = tool.args_model.model_validate(raw_arguments)
    except ValidationError as exc:
        message = format_validation_error(exc)
        ctx.store.audit.record(**audit_fields, outcome="invalid_arguments")
        return ToolResult(
            ok=False,
            content={"error": {"code": "invalid_arguments", "message": message}},
            summary=f"invalid arguments: {message}",
        )
    refusal = _guard(tool, ctx)
    if refusal is not None:
        ctx.store.audit.record(**audit_fields, outcome="refused")
        return refusal
    begun = ctx.store.audit.begin(**audit_fields)
    try:
        result, _code = await _run(tool, args, ctx, (frozen,) if approval_id is not None else None)
    except BaseException:
        # Cancelled (Ctrl-C, a cancelled turn): what happened outside is unknown; say so, then go on.
        ctx.store.audit.close(begun, outcome="cancelled")
        if approval_id is not None:
            _mark_executed(ctx, approval_id, "cancelled while running")
        raise
    if tool.untrusted_output and not result.untrusted:
        result = result.model_copy(update={"untrusted": True})
    if result.untrusted and not result.taint:
        result = result.model_copy(update={"taint": f"this session read the output of {tool.name}"})
    ctx.store.audit.close(
        begun, outcome="executed" if result.ok else "failed", resource_ids=tuple(result.resource_ids)
    )
    if approval_id is not None:
        _mark_executed(ctx, approval_id, result.summary)
    return result


def audit_refusal(
    tool_name: str,
    raw_arguments: Any,
    ctx: ToolContext,
    outcome: str,
    *,
    approval_id: str | None = None,
    preview: str | None = None,
) -> None:
    """One ledger row for a call that does not run: ``refused``, ``denied``, ``expired`` or ``failed``."""
    ctx.store.audit.record(
        user_id=ctx.user_id,
        tool=tool_name,
        arguments=_arguments_for_audit(raw_arguments),
        preview=preview,
        frontend=ctx.frontend,
        outcome=outcome,
        client_id=ctx.client_id,
        approval_id=approval_id,
        session_id=ctx.session_id,
    )


def _mark_executed(ctx: ToolContext, approval_id: str, summary: str) -> None:
    from pa_cli.store.errors import ApprovalStateError

    try:
        ctx.store.approvals.mark_executed(approval_id, summary)
    except (NotFoundError, ApprovalStateError) as exc:
        logger.warning("approval %s not marked executed: %s", approval_id, exc.message)


def _guard(tool: Tool, ctx: ToolContext) -> ToolResult | None:
    """The guard's refusal as a result, or None when the call may run."""
    if ctx.guard is None:
        return None
    try:
        ctx.guard(tool, ctx)
    except ToolError as exc:
        return _error_result(exc)
    return None


async def _run(
    tool: Tool, args: BaseModel, ctx: ToolContext, prepared: tuple[dict[str, Any] | None] | None
) -> tuple[ToolResult, str]:
    try:
        if prepared is None:
            result = await tool.run(args, ctx)
        else:
            result = await tool.run_prepared(args, prepared[0], ctx)
    except ToolError as exc:
        return _error_result(exc), "tool_error"
    except PaError as exc:
        return _error_result(exc), exc.code
    except Exception as exc:
        logger.error("tool %s raised %s", tool.name, type(exc).__name__)
        message = f"{tool.name} failed unexpectedly ({type(exc).__name__})"
        return ToolResult(
            ok=False, content={"error": {"code": "internal_error", "message": message}}, summary=message
        ), ("internal_error")
    if not isinstance(result, ToolResult):
        logger.error("tool %s returned %s, not a ToolResult", tool.name, type(result).__name__)
        message = f"{tool.name} returned no result (a bug in the tool)"
        return ToolResult(
            ok=False, content={"error": {"code": "internal_error", "message": message}}, summary=message
        ), ("internal_error")
    return result, "ok" if result.ok else "failed"


def _error_result(exc: PaError) -> ToolResult:
    message = exc.message if not exc.hint else f"{exc.message} ({exc.hint})"
    return ToolResult(ok=False, content={"error": {"code": exc.code, "message": message}}, summary=message)
