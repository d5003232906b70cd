"""Which tools are offered, and whether a call runs, asks first, or is refused."""

from __future__ import annotations

from typing import Any

from pa_cli.config import load_settings
from pa_cli.tools.base import Tool, ToolContext, ToolResult
from pa_cli.tools.policy import decide_policy, hidden_reason


class Reader(Tool):
    name = "mail_peek"
    description = "reads"

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        return ToolResult()


class Sender(Tool):
    name = "mail_post"
    description = "sends"
    side_effect = True

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        return ToolResult()


def test_side_effects_ask_by_default() -> None:
    assert decide_policy(Sender(), load_settings(), untrusted_in_context=False) == "ask"


def test_tools_without_side_effects_are_allowed_by_default() -> None:
    assert decide_policy(Reader(), load_settings(), untrusted_in_context=True) == "allow"


def test_allow_runs_a_side_effect_without_asking_when_context_is_clean() -> None:
    settings = load_settings({"tools.policy.mail_post": "allow"})
    assert decide_policy(Sender(), settings, untrusted_in_context=False) == "allow"


def test_allow_is_downgraded_to_ask_while_untrusted_content_is_in_context() -> None:
    settings = load_settings({"tools.policy.mail_post": "allow"})
    assert decide_policy(Sender(), settings, untrusted_in_context=True) == "ask"


def test_deny_refuses_and_hides() -> None:
    settings = load_settings({"tools.policy.mail_peek": "deny"})
    assert decide_policy(Reader(), settings, untrusted_in_context=False) == "deny"
    assert hidden_reason("mail_peek", settings) == "tools.policy.mail_peek = deny"


def test_ask_can_be_required_for_a_tool_without_side_effects() -> None:
    settings = load_settings({"tools.policy.mail_peek": "ask"})
    assert decide_policy(Reader(), settings, untrusted_in_context=False) == "ask"


def test_draft_only_mode_hides_gmail_send_only() -> None:
    settings = load_settings({"gmail.mode": "draft_only"})
    assert hidden_reason("gmail_send", settings) == "gmail.mode = draft_only"
    assert hidden_reason("gmail_draft", settings) is None
    assert hidden_reason("gmail_send", load_settings()) is None


def test_memory_disabled_hides_the_memory_tools_only() -> None:
    off = load_settings({"memory.enabled": False})
    assert [hidden_reason(name, off) for name in ("memory_save", "memory_search", "memory_forget")] == [
        "memory.enabled = false"
    ] * 3
    assert hidden_reason("fs_read", off) is None
    assert hidden_reason("memory_save", load_settings()) is None
