"""Which tools are offered, and whether a call may run, needs approval, or is refused.

Two questions, answered from the configuration alone:

* ``hidden_reason``: is a tool offered at all? ``tools.policy.<name> = "deny"``
  hides it, and ``gmail.mode = "draft_only"`` hides ``gmail_send``.
* ``decide_policy``: for a call of an offered tool, ``"allow"`` (run now),
  ``"ask"`` (a pending approval first) or ``"deny"``. ``ask`` and ``deny`` hold
  for every tool, side effect or not. Side effects default to ``"ask"``; a
  configured ``"allow"`` on a side-effecting tool is treated as ``"ask"`` while
  untrusted content (mail bodies, event text, MCP output, files written while
  such content was in context) is in the model's context, so injected text
  cannot act on the user's behalf. A tool marked ``asks_when_untrusted``
  (``memory_save``) runs unasked only while no such content is in context.
* Unattended turns (a routine runs with no person present): every side effect
  is ``"ask"`` whatever ``tools.policy`` says, even ``allow``, and no front-end
  approver is consulted: the call waits as a pending approval for a person.
* ``disabled_reason``: the user's ``enabled_tools`` (PUT .../config) limits what
  is offered and what runs.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pa_cli.config import Settings
    from pa_cli.tools.base import Tool

PolicyDecision = Literal["ask", "allow", "deny"]

#: Tools that ``gmail.mode = "draft_only"`` never offers.
DRAFT_ONLY_HIDDEN = frozenset({"gmail_send"})
#: Tools that ``memory.enabled = false`` never offers.
MEMORY_TOOLS = frozenset({"memory_save", "memory_search", "memory_forget"})


def hidden_reason(name: str, settings: Settings) -> str | None:
    """Why the tool ``name`` is not offered, or ``None`` when it is."""
    if settings.tools.policy.get(name) == "deny":
        return f"tools.policy.{name} = deny"
    if settings.gmail.mode == "draft_only" and name in DRAFT_ONLY_HIDDEN:
        return "gmail.mode = draft_only"
    if name in MEMORY_TOOLS and not settings.memory.enabled:
        return "memory.enabled = false"
    return None


def decide_policy(
    tool: Tool, settings: Settings, untrusted_in_context: bool, *, unattended: bool = False
) -> PolicyDecision:
    """The policy for one call of ``tool`` in a turn (see the module docstring)."""
    if hidden_reason(tool.name, settings) is not None:
        return "deny"
    configured = settings.tools.policy.get(tool.name)
    if configured == "ask":
        return "ask"
    if tool.asks_when_untrusted and untrusted_in_context:
        return "ask"
    if tool.side_effect:
        if configured == "allow" and not untrusted_in_context and not unattended:
            return "allow"
        return "ask"
    return "allow"


def disabled_reason(name: str, enabled_tools: Collection[str] | None) -> str | None:
    """Why ``name`` may not run for a user whose configuration enables only ``enabled_tools``."""
    if enabled_tools is None or name in enabled_tools:
        return None
    return f"{name} is not among the enabled tools of this assistant (enabled_tools in its config)"
