"""Reading tool calls the way real models write them, and naming what is wrong when they can't be read.

Small local models often write the thinking reply in a shape BAML's parser does not take:
YAML-like ``key: value`` lines instead of JSON, or JSON with a broken ``tool_calls``
list. ``loose_object`` reads the YAML-like shape (PyYAML's safe loader, imported only on
that path); ``call_problem`` tells when a reply clearly meant to call a tool but no call
could be read, so the agent re-asks once instead of silently dropping the call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

from pa_cli.agent.llm_types import ProposedCall

_FENCE = re.compile(r"```(?:ya?ml|json)?\s*\n(.*?)```", re.DOTALL)
_KEYS = ("thought", "tool_calls", "answer")
_CALLS_KEY = re.compile(r"""["']?tool_calls["']?\s*[:=]\s*(\[|\n\s*-)""")
_TOOL_KEY = re.compile(r"""["']?(?:tool|name|function)["']?\s*:\s*["']?([a-z][a-z0-9_]*)""")


def loose_object(text: str | None) -> dict[str, Any] | None:
    """The reply as a mapping when it is YAML-like (``thought: ...`` / ``tool_calls:`` lines), else None.

    Only a mapping with at least one of the contract's keys counts, so prose that happens
    to contain a colon is never taken for a reply.
    """
    if not text:
        return None
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    import yaml  # type: ignore[import-untyped]

    for candidate in candidates:
        try:
            value = yaml.safe_load(candidate)
        except yaml.YAMLError:
            continue
        if isinstance(value, dict) and any(key in value for key in _KEYS):
            return _normalise(value)
    return None


def _normalise(value: dict[str, Any]) -> dict[str, Any]:
    """YAML's types back to the contract's: ``null``/``none`` answers, a lone call not in a list."""
    calls = value.get("tool_calls")
    if isinstance(calls, dict):
        calls = [calls]
    answer = value.get("answer")
    if isinstance(answer, str) and answer.strip().lower() in ("null", "none", "~", ""):
        answer = None
    return {
        "thought": str(value.get("thought") or ""),
        "tool_calls": calls if isinstance(calls, list) else [],
        "answer": answer if answer is None or isinstance(answer, str) else str(answer),
    }


def normalise_calls(raw: Any) -> Any:
    """Common real-world spellings of a call, rewritten as ``{"tool", "arguments"}``.

    ``{"name": ..., "arguments": ...}`` and OpenAI's ``{"function": {"name", "arguments"}}``
    (arguments as an object or a JSON string) are what models trained on native tool
    calling write; ``parameters``/``args`` stand for ``arguments``.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("tool_calls"), list):
        return raw
    calls = []
    for item in raw["tool_calls"]:
        if isinstance(item, dict) and not isinstance(item.get("tool"), str):
            function = item.get("function")
            inner: dict[str, Any] = function if isinstance(function, dict) else item
            name = inner.get("name")
            if isinstance(name, str):
                arguments: Any = next(
                    (inner[k] for k in ("arguments", "parameters", "args") if k in inner), {}
                )
                item = {"tool": name, "arguments": arguments}
        calls.append(item)
    return {**raw, "tool_calls": calls}


def call_problem(
    raw_text: str | None, raw: Any, calls: list[ProposedCall], known_tools: Collection[str]
) -> str | None:
    """Why the tool calls this reply meant to make could not be read, or None when nothing was lost."""
    if calls or not raw_text:
        return None
    if isinstance(raw, dict):
        items = raw.get("tool_calls")
        if isinstance(items, list) and items:
            for index, item in enumerate(items, 1):
                if not isinstance(item, dict):
                    return f"tool_calls item {index} is not an object"
                if not isinstance(item.get("tool"), str):
                    return f'tool_calls item {index} has no "tool" name'
            return None
        if items in (None, []) and raw.get("answer") not in (None, ""):
            return None  # an answer, no calls: nothing was lost
    match = _CALLS_KEY.search(raw_text)
    if match is not None and raw is None:
        return f"the tool_calls are not valid JSON ({_json_error(raw_text)})"
    named = [name for name in _TOOL_KEY.findall(raw_text) if name in known_tools]
    if named and (raw is None or not isinstance(raw, dict) or raw.get("answer") in (None, "")):
        return f"a call to {named[0]} was written in a form that could not be read"
    return None


def _json_error(text: str) -> str:
    start = text.find("{")
    if start < 0:
        return "no JSON object"
    try:
        json.loads(text[start:])
    except ValueError as error:
        return str(error)[:160]
    return "unexpected text around the object"
