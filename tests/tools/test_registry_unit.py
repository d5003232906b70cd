"""tools/registry.py in process, on a real SQLite store: what the registry offers, hides and warns
about, word for word, and every branch of execute_tool's ledger and results.

test_registry.py covers the entry points and plugins, test_execute.py the audit pairs; these pin the
exact names, messages and rows cheaply (the first guard of the module under mutation testing).
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, ValidationError

from pa_cli.config import load_settings
from pa_cli.errors import AuthorizationNeeded, NotFoundError
from pa_cli.store import Store
from pa_cli.tools.base import Tool, ToolArgs, ToolContext, ToolError, ToolResult
from pa_cli.tools.plugins import FoundTool
from pa_cli.tools.registry import (
    ToolRegistry,
    _arguments_for_audit,
    audit_refusal,
    execute_tool,
    format_validation_error,
)


class TextArgs(ToolArgs):
    text: str


class Reader(Tool):
    name = "reader"
    description = "reads"
    args_model: ClassVar[type[BaseModel]] = TextArgs
    requires = ("scope.read",)

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        return ToolResult(summary=f"read {args.text}", resource_ids=["r1", "r2"])


class Writer(Tool):
    name = "writer"
    description = "writes"
    side_effect = True

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        return ToolResult(ok=False, summary="could not write")


class Outside(Tool):
    name = "outside"
    description = "brings text from outside"
    untrusted_output = True

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        return ToolResult(summary="fetched")


class Tainted(Tool):
    name = "tainted"
    description = "already says where its text is from"

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        return ToolResult(summary="fetched", untrusted=True, taint="a mail from eve")


def found(tool: Tool, source: str = "builtin", origin: str = "") -> FoundTool:
    return FoundTool(tool, source, origin=origin or f"origin of {tool.name}", remedy="remove it")


@pytest.fixture
def ctx(store: Store) -> ToolContext:
    user = store.users.local_user()
    return ToolContext(
        settings=load_settings(),
        store=store,
        user_id=user.id,
        frontend="cli",
        client_id="c-1",
        session_id=None,
    )


def logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the registry itself logged (the audit anchor may warn too, without a keyring here)."""
    return [r.getMessage() for r in caplog.records if r.name == "pa_cli.tools.registry"]


def rows(ctx: ToolContext) -> list[tuple[str, str, str | None]]:
    return [(e.tool, e.outcome, e.approval_id) for e in reversed(ctx.store.audit.list(user_id=ctx.user_id))]


# --- the registry ----------------------------------------------------------------------------


def test_the_registry_offers_what_it_was_given_in_order() -> None:
    registry = ToolRegistry.from_tools([Reader(), Writer()], source="plugin:x")
    assert registry.names() == ["reader", "writer"]
    assert [t.name for t in registry.all()] == ["reader", "writer"]
    assert len(registry) == 2
    assert "reader" in registry and "nothing" not in registry
    assert registry.source_of("writer") == "plugin:x"
    assert registry.find("reader") is registry.get("reader")
    assert registry.find("nothing") is None
    assert registry.warnings == [] and registry.hidden == {}


def test_an_invalid_tool_is_skipped_with_a_warning_naming_its_origin_and_remedy(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = ToolRegistry()
    with caplog.at_level(logging.WARNING, logger="pa_cli.tools.registry"):
        assert registry.add(FoundTool(object(), "plugin:p", origin="plugin p", remedy="upgrade p")) is False  # type: ignore[arg-type]
    assert len(registry) == 0
    [warning] = registry.warnings
    assert warning.startswith("plugin p: <object object at ")
    assert warning.endswith("> is not a pa_cli.tools.base.Tool; skipped. To fix: upgrade p.")
    assert logged(caplog) == [warning]


def test_a_taken_name_keeps_the_first_tool_and_warns() -> None:
    first, second = Reader(), Reader()
    registry = ToolRegistry()
    assert registry.add(found(first, origin="the first")) is True
    assert registry.add(found(second, origin="the second")) is False
    assert registry.get("reader") is first
    assert registry.warnings == [
        "the second: tool name 'reader' is already taken by the first; skipped. To fix: remove it."
    ]


def test_a_denied_tool_is_hidden_with_its_reason_and_its_name_stays_taken() -> None:
    registry = ToolRegistry(settings=load_settings({"tools.policy": {"writer": "deny"}}))
    assert registry.add(found(Reader())) is True
    assert registry.add(found(Writer())) is False
    assert registry.names() == ["reader"]
    assert registry.hidden == {"writer": "tools.policy.writer = deny"}
    assert registry.warnings == []
    assert registry.add(found(Writer(), origin="a plugin")) is False
    assert registry.warnings == [
        "a plugin: tool name 'writer' is already taken by another tool (denied by the config); skipped. "
        "To fix: remove it."
    ]
    with pytest.raises(NotFoundError) as hidden:
        registry.get("writer")
    assert hidden.value.message == "tool 'writer' is not offered (tools.policy.writer = deny)"
    with pytest.raises(NotFoundError) as unknown:
        registry.get("nothing")
    assert (unknown.value.message, unknown.value.hint) == (
        "no tool named 'nothing'",
        "`pa tools list` shows the tools on offer",
    )


def test_without_settings_nothing_is_hidden() -> None:
    registry = ToolRegistry([found(Writer())])
    assert registry.names() == ["writer"] and registry.hidden == {}


def test_with_tools_is_a_copy_that_adds_and_keeps_what_is_hidden() -> None:
    settings = load_settings({"tools.policy": {"writer": "deny"}})
    registry = ToolRegistry([found(Reader()), found(Writer())], settings=settings)
    copy = registry.with_tools([Outside(), Writer()], source="routine")
    assert copy.names() == ["reader", "outside"]
    assert copy.source_of("outside") == "routine" and copy.source_of("reader") == "builtin"
    assert copy.hidden == {"writer": "tools.policy.writer = deny"}
    assert copy.warnings == [
        "tests.tools.test_registry_unit.Writer: tool name 'writer' is already taken by another tool "
        "(denied by the config); skipped. To fix: fix it."
    ]
    assert registry.names() == ["reader"]  # the original is untouched


def test_replace_source_swaps_the_tools_of_that_source_only() -> None:
    registry = ToolRegistry([found(Reader(), "mcp:a"), found(Writer(), "mcp:b"), found(Tainted(), "mcp:a")])
    # The source as an MCP server's watcher builds it: an equal string, not the same object.
    registry.replace_source("".join(["mcp", ":a"]), [found(Outside(), "mcp:a")])
    assert registry.names() == ["writer", "outside"]
    registry.replace_source("mcp:b", [])
    assert registry.names() == ["outside"]


def test_describe_and_sync_give_each_tool_exactly(store: Store) -> None:
    registry = ToolRegistry.from_tools([Reader(), Writer()])
    described = registry.describe()
    assert described == [
        {
            "name": "reader",
            "description": "reads",
            "schema": Reader().json_schema(),
            "side_effect": False,
            "source": "builtin",
            "requires": ["scope.read"],
        },
        {
            "name": "writer",
            "description": "writes",
            "schema": Writer().json_schema(),
            "side_effect": True,
            "source": "builtin",
            "requires": [],
        },
    ]
    registry.sync_to_store(store)
    assert sorted(r.name for r in store.tool_registry.list()) == ["reader", "writer"]


# --- running a tool ---------------------------------------------------------------------------


def _error(model: type[BaseModel], raw: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(raw)
    return caught.value


def test_validation_errors_name_the_field_never_the_value() -> None:
    assert format_validation_error(_error(TextArgs, {"text": 5})) == "text: Input should be a valid string"
    assert format_validation_error(_error(TextArgs, {})) == "text: Field required"
    # A model-level error has no location: the message alone.
    assert format_validation_error(_error(TextArgs, "secret-value")) == (
        "Input should be a valid dictionary or instance of TextArgs"
    )


def test_at_most_eight_validation_errors_are_told() -> None:
    class Many(BaseModel):
        a0: int
        a1: int
        a2: int
        a3: int
        a4: int
        a5: int
        a6: int
        a7: int
        a8: int

    told = format_validation_error(_error(Many, {}))
    assert told == "; ".join(f"a{i}: Field required" for i in range(8))


def test_arguments_are_audited_as_given_or_in_a_safe_form() -> None:
    given = {"text": "x"}
    assert _arguments_for_audit(given) is given
    assert _arguments_for_audit(["a"]) == {"_not_an_object": "['a']"}
    assert _arguments_for_audit("x" * 2000) == {"_not_an_object": repr("x" * 2000)[:1000]}
    assert _arguments_for_audit({"t": "\ud800"}) == {"_invalid_unicode": "{'t': '\\ud800'}"}
    assert _arguments_for_audit(["\ud800" * 600]) == {"_invalid_unicode": ascii(["\ud800" * 600])[:1000]}


async def test_invalid_arguments_are_one_invalid_arguments_row_and_a_failed_result(ctx: ToolContext) -> None:
    result = await execute_tool(Reader(), {"text": 5}, ctx)
    assert result == ToolResult(
        ok=False,
        content={"error": {"code": "invalid_arguments", "message": "text: Input should be a valid string"}},
        summary="invalid arguments: text: Input should be a valid string",
    )
    assert rows(ctx) == [("reader", "invalid_arguments", None)]
    [entry] = ctx.store.audit.list(user_id=ctx.user_id)
    assert (entry.frontend, entry.client_id, entry.preview) == ("cli", "c-1", None)


async def test_a_run_is_a_begin_and_a_close_row_with_its_resource_ids(ctx: ToolContext) -> None:
    result = await execute_tool(Reader(), {"text": "x"}, ctx, preview="read x")
    assert (result.ok, result.summary, result.untrusted, result.taint) == (True, "read x", False, None)
    assert rows(ctx) == [("reader", "executing", None), ("reader", "executed", None)]
    begin, close = reversed(ctx.store.audit.list(user_id=ctx.user_id))
    assert (begin.preview, begin.frontend, begin.client_id) == ("read x", "cli", "c-1")
    assert close.ref_id == begin.id
    assert close.resource_ids == ["r1", "r2"]


async def test_a_failed_result_closes_the_row_as_failed(ctx: ToolContext) -> None:
    result = await execute_tool(Writer(), {}, ctx)
    assert (result.ok, result.summary) == (False, "could not write")
    assert rows(ctx) == [("writer", "executing", None), ("writer", "failed", None)]


async def test_untrusted_output_is_marked_with_a_taint_unless_it_has_one(ctx: ToolContext) -> None:
    outside = await execute_tool(Outside(), {}, ctx)
    assert (outside.untrusted, outside.taint) == (True, "this session read the output of outside")
    tainted = await execute_tool(Tainted(), {}, ctx)
    assert (tainted.untrusted, tainted.taint) == (True, "a mail from eve")
    plain = await execute_tool(Reader(), {"text": "x"}, ctx)
    assert (plain.untrusted, plain.taint) == (False, None)


async def test_an_approved_call_is_marked_executed_with_the_result_summary(ctx: ToolContext) -> None:
    approval = ctx.store.approvals.create(
        user_id=ctx.user_id, session_id=None, tool="writer", arguments={}, preview="write"
    )
    ctx.store.approvals.decide(approval.id, approved=True, frontend="cli")
    await execute_tool(Writer(), {}, ctx, approval_id=approval.id, preview="write")
    marked = ctx.store.approvals.get(approval.id)
    assert marked is not None and marked.status == "executed"
    assert rows(ctx) == [("writer", "executing", approval.id), ("writer", "failed", approval.id)]


async def test_an_approval_that_cannot_be_marked_is_a_warning_not_an_error(
    ctx: ToolContext, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="pa_cli.tools.registry"):
        result = await execute_tool(Reader(), {"text": "x"}, ctx, approval_id="no-such-approval")
    assert result.ok
    assert logged(caplog)[0].startswith("approval no-such-approval not marked executed: ")
    pending = ctx.store.approvals.create(
        user_id=ctx.user_id, session_id=None, tool="reader", arguments={"text": "x"}, preview="read"
    )
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="pa_cli.tools.registry"):
        await execute_tool(Reader(), {"text": "x"}, ctx, approval_id=pending.id)
    assert logged(caplog)[0].startswith(f"approval {pending.id} not marked executed: ")


async def test_a_pa_error_keeps_its_code_and_hint_in_the_result(ctx: ToolContext) -> None:
    class NeedsAuth(Reader):
        async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
            raise AuthorizationNeeded("Gmail is not authorized", hint="run `pa auth gmail`")

    result = await execute_tool(NeedsAuth(), {"text": "x"}, ctx)
    assert result == ToolResult(
        ok=False,
        content={
            "error": {
                "code": "authorization_needed",
                "message": "Gmail is not authorized (run `pa auth gmail`)",
            }
        },
        summary="Gmail is not authorized (run `pa auth gmail`)",
    )
    assert rows(ctx) == [("reader", "executing", None), ("reader", "failed", None)]


async def test_a_tool_error_without_a_hint_is_its_message(ctx: ToolContext) -> None:
    class Refusing(Reader):
        async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
            raise ToolError("read-only")

    result = await execute_tool(Refusing(), {"text": "x"}, ctx)
    assert result.content == {"error": {"code": "tool_error", "message": "read-only"}}
    assert result.summary == "read-only"


async def test_a_tool_returning_no_result_is_a_failed_internal_error(
    ctx: ToolContext, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(Reader):
        async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
            return "done"  # type: ignore[return-value]

    with caplog.at_level(logging.ERROR, logger="pa_cli.tools.registry"):
        result = await execute_tool(Broken(), {"text": "x"}, ctx)
    message = "reader returned no result (a bug in the tool)"
    assert result == ToolResult(
        ok=False, content={"error": {"code": "internal_error", "message": message}}, summary=message
    )
    assert logged(caplog) == ["tool reader returned str, not a ToolResult"]
    assert rows(ctx) == [("reader", "executing", None), ("reader", "failed", None)]


async def test_an_unexpected_exception_is_a_failed_internal_error(
    ctx: ToolContext, caplog: pytest.LogCaptureFixture
) -> None:
    class Crashing(Reader):
        async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
            raise KeyError("secret")

    with caplog.at_level(logging.ERROR, logger="pa_cli.tools.registry"):
        result = await execute_tool(Crashing(), {"text": "x"}, ctx)
    message = "reader failed unexpectedly (KeyError)"
    assert result == ToolResult(
        ok=False, content={"error": {"code": "internal_error", "message": message}}, summary=message
    )
    assert logged(caplog) == ["tool reader raised KeyError"]


async def test_a_guard_that_lets_a_call_pass_changes_nothing(ctx: ToolContext) -> None:
    seen: list[str] = []
    ctx.guard = lambda tool, _ctx: seen.append(tool.name)
    result = await execute_tool(Reader(), {"text": "x"}, ctx)
    assert seen == ["reader"] and result.ok
    assert rows(ctx) == [("reader", "executing", None), ("reader", "executed", None)]


async def test_a_guards_refusal_is_one_refused_row_and_the_tool_never_runs(ctx: ToolContext) -> None:
    ran: list[str] = []

    class Counting(Reader):
        async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
            ran.append("ran")
            return ToolResult()

    def refuse(tool: Tool, _ctx: ToolContext) -> None:
        raise ToolError("too many calls", hint="wait 5 s")

    ctx.guard = refuse
    result = await execute_tool(Counting(), {"text": "x"}, ctx)
    assert result == ToolResult(
        ok=False,
        content={"error": {"code": "tool_error", "message": "too many calls (wait 5 s)"}},
        summary="too many calls (wait 5 s)",
    )
    assert ran == [] and rows(ctx) == [("reader", "refused", None)]


def test_audit_refusal_writes_one_row_with_every_field(ctx: ToolContext) -> None:
    ctx.session_id = None
    audit_refusal("writer", {"a": 1}, ctx, "denied", approval_id="ap-1", preview="the preview")
    [entry] = ctx.store.audit.list(user_id=ctx.user_id)
    assert (entry.tool, entry.outcome, entry.approval_id, entry.preview, entry.frontend, entry.client_id) == (
        "writer",
        "denied",
        "ap-1",
        "the preview",
        "cli",
        "c-1",
    )


# --- loading MCP servers --------------------------------------------------------------------------


def _ghost_settings(tmp_path: Any) -> Any:
    settings = load_settings()
    settings.tools.mcp_servers = [{"name": "ghost", "command": str(tmp_path / "missing")}]  # type: ignore[list-item]
    return settings


def _cached_failure(settings: Any) -> str | None:
    from pa_cli.tools import mcp_cache

    [server] = settings.tools.mcp_servers
    path = mcp_cache.cache_file(server, settings.app_paths.cache_dir)
    return path.read_text(encoding="utf-8") if path.exists() else None


def test_load_lists_mcp_servers_and_caches_a_failure_in_the_cache_dir(tmp_path: Any, pa_home: Any) -> None:
    settings = _ghost_settings(tmp_path)
    registry = ToolRegistry.load(settings)
    [warning] = registry.warnings
    assert "MCP server 'ghost'" in warning
    # The server's log (its stderr, opened before the start was tried) lives in pa's log directory.
    assert (settings.app_paths.log_dir / "mcp-ghost.log").is_file()
    assert "fs_read" in registry
    cached = _cached_failure(settings)
    assert cached is not None and '"error"' in cached


def test_load_without_mcp_starts_no_server(tmp_path: Any, pa_home: Any) -> None:
    settings = _ghost_settings(tmp_path)
    assert ToolRegistry.load(settings, include_mcp=False).warnings == []
    assert _cached_failure(settings) is None


async def test_load_inside_a_running_loop_and_aload_list_mcp_servers_too(tmp_path: Any, pa_home: Any) -> None:
    settings = _ghost_settings(tmp_path)
    assert len(ToolRegistry.load(settings).warnings) == 1
    assert _cached_failure(settings) is not None
    again = await ToolRegistry.aload(_ghost_settings(tmp_path))
    assert len(again.warnings) == 1 and "fs_read" in again
    assert (await ToolRegistry.aload(settings, include_mcp=False)).warnings == []


async def test_an_approved_call_cancelled_while_running_is_marked_executed_as_cancelled(
    ctx: ToolContext, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncio

    started = asyncio.Event()

    class Hanging(Reader):
        async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
            started.set()
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

        async def run_prepared(self, args: Any, frozen: Any, ctx: ToolContext) -> ToolResult:
            return await self.run(args, ctx)

    approval = ctx.store.approvals.create(
        user_id=ctx.user_id, session_id=None, tool="reader", arguments={"text": "x"}, preview="read"
    )
    ctx.store.approvals.decide(approval.id, approved=True, frontend="cli")
    for approval_id in (approval.id, None):
        started.clear()
        task = asyncio.create_task(execute_tool(Hanging(), {"text": "x"}, ctx, approval_id=approval_id))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    marked = ctx.store.approvals.get(approval.id)
    assert marked is not None and (marked.status, marked.result_summary) == (
        "executed",
        "cancelled while running",
    )
    assert rows(ctx) == [
        ("reader", "executing", approval.id),
        ("reader", "cancelled", approval.id),
        ("reader", "executing", None),
        ("reader", "cancelled", None),
    ]
    assert logged(caplog) == []  # the call without an approval marks nothing


async def test_each_mcp_server_is_watched_for_changes_to_its_tool_list(
    tmp_path: Any, pa_home: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watcher (started for each server) swaps that server's tools when its list changes."""
    from pa_cli.tools import mcp_source

    watched: list[tuple[str, Any, Any, Any]] = []
    monkeypatch.setattr(
        mcp_source,
        "watch_tool_changes",
        lambda server, log_dir, cache_dir, replace: watched.append(
            (server.name, log_dir, cache_dir, replace)
        ),
    )
    settings = _ghost_settings(tmp_path)
    registry = await ToolRegistry.aload(settings)
    assert watched == [
        ("ghost", settings.app_paths.log_dir, settings.app_paths.cache_dir, registry.replace_source)
    ]
