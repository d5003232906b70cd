"""Partial thinking replies are parsed against a small Thinking, the final one against the whole catalog.

BAML's cost per parse grows with the types it is given (with a dozen tools the whole union
costs several times the small one), and partial parses run on the event loop for every
streamed piece of every turn. The small Thinking must read each partial reply as the whole
one does: whether a tool call began, and the answer so far.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pa_cli.agent.llm import load_baml
from pa_cli.agent.llm_catalog import ToolCatalog, catalog_for
from pa_cli.agent.llm_sse import Reply, SSEDecoder, apply_event
from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.test_llm import TOOLS, Recorder, make_context, make_llm

RECORDED = Path(__file__).parent.parent / "fixtures" / "recorded" / "smollm2"


def _thinking(answer: str | None, *calls: tuple[str, dict[str, Any]]) -> str:
    return json.dumps(
        {"thought": "ok", "tool_calls": [{"tool": n, "arguments": a} for n, a in calls], "answer": answer}
    )


def _recorded(name: str) -> str:
    reply, decoder = Reply(), SSEDecoder()
    for event, data in decoder.feed((RECORDED / f"{name}.sse").read_bytes()) + decoder.close():
        apply_event("openai-generic", reply, event, data)
    return reply.text


PLAN = ("plan_update", {"steps": [{"title": "pack a long list of things", "status": "pending"}]})
REPLIES = {
    "plain answer with escapes": _thinking(
        'Hello "world",\nthis has a \\ backslash, caf\u00e9 and \U0001f600.'
    ),
    "a call": _thinking(None, PLAN),
    "two calls": _thinking(None, PLAN, ("fs_write", {"path": "/a.txt", "content": "x"})),
    "an unknown tool": _thinking(None, ("no_such_tool", {"a": 1})),
    "a call and an answer": _thinking("I will plan it.", PLAN),
    "arguments that do not fit": _thinking(None, ("plan_update", {"steps": "not a list"})),
    "answer first": json.dumps({"answer": "Sure, here it is.", "thought": "t", "tool_calls": []}),
    "no tool_calls key": json.dumps({"thought": "t", "answer": "Just text here."}),
    "tool_calls null": json.dumps({"thought": "t", "tool_calls": None, "answer": "x y z"}),
    "in a fence": "```json\n" + _thinking("Fenced answer text.") + "\n```",
    "after a preamble": "Sure! " + _thinking("After the preamble."),
    "OpenAI-shaped call": json.dumps(
        {"thought": "t", "tool_calls": [{"type": "function", "function": {"name": "plan_update"}}]}
    ),
    "a call named by 'name'": json.dumps({"thought": "t", "tool_calls": [{"name": "plan_update"}]}),
    "single quotes": "{'thought': 't', 'tool_calls': [{'tool': 'fs_write', 'arguments': {}}], 'answer': None}",
    "YAML-like": "thought: ok\ntool_calls: []\nanswer: Hello there from yaml\n",
    "recorded JSON cut by length": _recorded("json-reply-cut-by-length"),
    "recorded echoed prompt": _recorded("echoed-prompt-malformed-call"),
}


def _seen(catalog: ToolCatalog, builder: Any, text: str) -> tuple[bool, str | None] | None:
    """What ``think`` takes from a partial reply: did a call begin, and the answer while none did."""
    try:
        partial = load_baml().b.parse_stream.PersonalAssistantThinking(text, baml_options={"tb": builder})
    except Exception:  # too little of it yet: think shows nothing either way
        return None
    calls = bool(getattr(partial, "tool_calls", None))
    answer = getattr(partial, "answer", None)
    return calls, None if calls else answer


@pytest.mark.parametrize("name", sorted(REPLIES))
def test_every_partial_reply_reads_the_same_with_the_small_thinking(name: str) -> None:
    catalog = catalog_for(load_baml(), TOOLS)
    text = REPLIES[name]
    assert catalog.partial_builder is not catalog.thinking_builder
    for end in range(1, len(text) + 1):
        whole = _seen(catalog, catalog.thinking_builder, text[:end])
        assert _seen(catalog, catalog.partial_builder, text[:end]) == whole, (end, text[:end])


def test_on_a_broken_reply_the_small_thinking_sees_a_call_no_later() -> None:
    """A model echoing a broken call: the small Thinking may count an item the union cannot type
    (its 'tool' is no tool's name) as a call begun. That only holds the answer back, as the final
    reply's raw calls would; it never shows answer text the whole Thinking would hold back."""
    catalog = catalog_for(load_baml(), TOOLS)
    text = _recorded("save-note-malformed-call-with-tools")
    differ = 0
    for end in range(1, len(text) + 1, 2):
        whole = _seen(catalog, catalog.thinking_builder, text[:end])
        small = _seen(catalog, catalog.partial_builder, text[:end])
        if whole is not None and whole[0]:
            assert small is not None and small[0], (end, text[:end])
        elif small != whole:
            differ += 1
            assert small is not None and small[0] and small[1] is None, (end, text[:end])
    assert differ > 0, "the recording no longer shows the difference this test documents"


def test_without_tools_partials_use_the_whole_thinking() -> None:
    catalog = catalog_for(load_baml(), [])
    assert catalog.partial_builder is catalog.thinking_builder


async def test_think_parses_partials_small_and_the_end_whole(
    fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    baml = load_baml()
    catalog = catalog_for(baml, TOOLS)
    used: dict[str, list[Any]] = {"partial": [], "final": []}
    for kind, parser in (("partial", baml.b.parse_stream), ("final", baml.b.parse)):
        original = parser.PersonalAssistantThinking

        def spy(text: str, baml_options: Any, _kind: str = kind, _original: Any = original) -> Any:
            used[_kind].append(baml_options.get("tb"))
            return _original(text, baml_options=baml_options)

        monkeypatch.setattr(parser, "PersonalAssistantThinking", spy)
    answer = "Canberra is the capital, and this answer streams in many small pieces."
    fake_llm.reply_text(_thinking(answer), chunk_size=8, delay_between_chunks_ms=60)
    rec = Recorder()

    thinking = await make_llm("openai-generic", fake_llm, rec).think(make_context(), rec.delta)

    assert thinking.answer == answer and "".join(rec.deltas) == answer and len(rec.deltas) >= 3
    assert used["partial"] and all(tb is catalog.partial_builder for tb in used["partial"])
    assert used["final"] == [catalog.thinking_builder]
