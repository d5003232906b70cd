"""memory_save, memory_search, memory_forget on the real store, and the policy that gates memory_save."""

from __future__ import annotations

import dataclasses

import pytest

from pa_cli.config import Settings
from pa_cli.tools.base import ToolContext, ToolResult
from pa_cli.tools.builtin import memory
from pa_cli.tools.builtin.memory import MemorySaveArgs
from pa_cli.tools.policy import decide_policy, hidden_reason
from pa_cli.tools.registry import ToolRegistry, execute_tool

REGISTRY = ToolRegistry.from_tools([t() for t in memory.TOOLS])
MAIL = "this session read mail from mallory@evil.example"


async def call(ctx: ToolContext, name: str, **arguments: object) -> ToolResult:
    return await execute_tool(REGISTRY.get(name), arguments, ctx)


def in_turn(ctx: ToolContext, *taint: str) -> ToolContext:
    return dataclasses.replace(ctx, turn_id="turn-1", taint=tuple(taint))


def test_memory_save_runs_unasked_only_while_nothing_untrusted_is_in_context(settings: Settings) -> None:
    save, forget, search = (REGISTRY.get(n) for n in ("memory_save", "memory_forget", "memory_search"))
    assert decide_policy(save, settings, untrusted_in_context=False) == "allow"
    assert decide_policy(save, settings, untrusted_in_context=True) == "ask"
    assert decide_policy(forget, settings, untrusted_in_context=False) == "ask"
    assert decide_policy(search, settings, untrusted_in_context=True) == "allow"
    allowed = settings.model_copy(
        update={"tools": settings.tools.model_copy(update={"policy": {"memory_save": "allow"}})}
    )
    assert decide_policy(save, allowed, untrusted_in_context=True) == "ask"


def test_memory_enabled_false_hides_the_memory_tools(settings: Settings) -> None:
    off = settings.model_copy(update={"memory": settings.memory.model_copy(update={"enabled": False})})
    assert {hidden_reason(t.name, off) for t in REGISTRY.all()} == {"memory.enabled = false"}
    assert hidden_reason("fs_read", off) is None


async def test_a_saved_fact_records_its_turn_and_session(ctx: ToolContext) -> None:
    result = await call(in_turn(ctx), "memory_save", text="  My manager   is Sam ")
    assert result.ok and result.content["saved"] is True
    saved = ctx.store.memories.get(ctx.user_id, result.content["id"])
    assert saved is not None
    assert (saved.text, saved.source, saved.session_id, saved.turn_id, saved.taint) == (
        "My manager is Sam",
        "turn",
        ctx.session_id,
        "turn-1",
        None,
    )
    again = await call(in_turn(ctx), "memory_save", text="my manager is sam")
    assert again.content == {"saved": False, "id": saved.id, "text": "My manager is Sam"}
    assert ctx.store.memories.count(ctx.user_id) == 1


async def test_a_near_duplicate_is_shown_to_the_model_before_anything_is_saved(ctx: ToolContext) -> None:
    old = ctx.store.memories.add(ctx.user_id, "My manager is Sam")
    held = await call(in_turn(ctx), "memory_save", text="Sam left; my manager is Priya")
    assert held.ok and held.content["saved"] is False
    assert held.content["similar"] == [{"id": old.id, "text": "My manager is Sam"}]
    assert ctx.store.memories.count(ctx.user_id) == 1

    replaced = await call(
        in_turn(ctx), "memory_save", text="Sam left; my manager is Priya", replaces=[old.id[:6]]
    )
    assert replaced.content["replaced"] == [old.id]
    assert [m.text for m in ctx.store.memories.list(ctx.user_id)] == ["Sam left; my manager is Priya"]

    kept = await call(in_turn(ctx), "memory_save", text="Priya's office is on floor 3", replaces=[])
    assert kept.content["saved"] is True and ctx.store.memories.count(ctx.user_id) == 2


async def test_an_unknown_replaces_id_is_an_error_the_model_sees(ctx: ToolContext) -> None:
    result = await call(in_turn(ctx), "memory_save", text="My manager is Priya", replaces=["ffffffff"])
    assert not result.ok and "no memory 'ffffffff'" in result.summary
    assert ctx.store.memories.count(ctx.user_id) == 0


async def test_the_approval_preview_shows_the_fact_its_source_and_what_changes(ctx: ToolContext) -> None:
    old = ctx.store.memories.add(ctx.user_id, "My manager is Sam")
    other = ctx.store.memories.add(ctx.user_id, "Priya's manager is Sam")
    tool = REGISTRY.get("memory_save")
    tainted = in_turn(ctx, MAIL)
    args = MemorySaveArgs(text="Sam left; my manager is Priya", replaces=[old.id])
    prepared = await tool.prepare(args, tainted)
    assert prepared.preview.splitlines()[:2] == [
        "Remember: Sam left; my manager is Priya",
        f"From: untrusted content in this conversation: {MAIL}",
    ]
    assert (
        f"Replaces (these are forgotten when it is saved):\n  [{old.id}] My manager is Sam"
        in prepared.preview
    )
    assert (
        f"Similar facts already saved (kept as they are):\n  [{other.id}] Priya's manager is Sam"
        in prepared.preview
    )
    assert prepared.frozen == {"replaces": [old.id]}

    result = await tool.run_prepared(args, prepared.frozen, tainted)
    saved = ctx.store.memories.get(ctx.user_id, result.content["id"])
    assert saved is not None and saved.taint == MAIL
    assert ctx.store.memories.get(ctx.user_id, old.id) is None


async def test_memory_search_marks_results_that_came_from_untrusted_content(ctx: ToolContext) -> None:
    ctx.store.memories.add(ctx.user_id, "Invoices go to IBAN XX00", taint=MAIL)
    ctx.store.memories.add(ctx.user_id, "My manager is Priya")
    clean = await call(ctx, "memory_search", query="manager")
    assert clean.content == [
        {"id": clean.content[0]["id"], "text": "My manager is Priya", "untrusted": False}
    ]
    assert clean.untrusted is False
    marked = await call(ctx, "memory_search", query="invoices")
    assert marked.untrusted is True and marked.taint is not None and MAIL in marked.taint


async def test_memory_forget_previews_the_fact_and_deletes_it(ctx: ToolContext) -> None:
    fact = ctx.store.memories.add(ctx.user_id, "My manager is Sam")
    tool = REGISTRY.get("memory_forget")
    assert tool.side_effect is True
    preview = await tool.preview(tool.args_model.model_validate({"id": fact.id[:5]}), ctx)
    assert f"[{fact.id}] My manager is Sam" in preview and preview.startswith("Forget this fact")
    result = await call(ctx, "memory_forget", id=fact.id)
    assert result.ok and ctx.store.memories.count(ctx.user_id) == 0
    missing = await call(ctx, "memory_forget", id=fact.id)
    assert not missing.ok and "no memory" in missing.summary


@pytest.mark.parametrize("text", ["", " " * 3, "x" * 1001])
async def test_memory_save_rejects_empty_or_oversized_facts(ctx: ToolContext, text: str) -> None:
    result = await call(in_turn(ctx), "memory_save", text=text)
    assert not result.ok
    assert ctx.store.memories.count(ctx.user_id) == 0
