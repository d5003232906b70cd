"""Helpers to script the thinking step's JSON contract for the fake LLM."""

from __future__ import annotations

import json
from typing import Any


def thinking(answer: str | None = None, *calls: tuple[str, dict[str, Any]], thought: str = "ok") -> str:
    """A PersonalAssistantThinking reply: {"thought", "tool_calls": [{"tool", "arguments"}], "answer"}."""
    return json.dumps(
        {
            "thought": thought,
            "tool_calls": [{"tool": name, "arguments": args} for name, args in calls],
            "answer": answer,
        }
    )
