"""The typed per-turn state passed to the flow as PocketFlow's ``shared``.

Nodes keep nothing in their own attributes: one flow object serves many
concurrent turns, and PocketFlow copies nodes shallowly at every step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pa_cli.agent.events import Event

if TYPE_CHECKING:
    from pa_cli.agent.llm import AssistantLLM, HistoryItem, MemoryNote, ToolOutcome, ToolSpec
    from pa_cli.config import Settings
    from pa_cli.store import Store
    from pa_cli.tools.base import ToolGuard
    from pa_cli.tools.registry import ToolRegistry


@dataclass(frozen=True)
class ApprovalRequest:
    """What a front-end shows a person before a side effect runs."""

    id: str
    tool: str
    preview: str
    arguments: dict[str, Any]
    #: A batch's items (``pa_cli.tools.selection``): (id, label) pairs a person may leave out.
    choices: tuple[tuple[str, str], ...] = ()
    #: Filled by the front-end with the ids the person unticked, before it approves.
    deselected: list[str] = field(default_factory=list)


#: Asked for a decision on a side effect: True approve, False deny, None "not now" (the turn suspends).
Approver = Callable[[ApprovalRequest], Awaitable[bool | None]]
Emit = Callable[[Event], Awaitable[None]]


@dataclass
class ProposedToolCall:
    call_id: str
    tool: str
    arguments: dict[str, Any]


@dataclass
class TurnState:
    settings: Settings
    store: Store
    registry: ToolRegistry
    llm: AssistantLLM
    emit: Emit
    user_id: int
    session_id: str
    turn_id: str
    user_message: str
    system_prompt: str
    history: list[HistoryItem]
    attached_context: str | None = None
    approver: Approver | None = None
    frontend: str = "cli"
    client_id: str | None = None
    tool_guard: ToolGuard | None = None
    outcomes: list[ToolOutcome] = field(default_factory=list)
    pending_calls: list[ProposedToolCall] = field(default_factory=list)
    pending_approvals: list[str] = field(default_factory=list)
    answer_parts: list[str] = field(default_factory=list)
    tools_used: list[str] = field(default_factory=list)
    steps: int = 0
    #: What the LLM is told about the tools, computed once per turn (authorization is a DB read per tool).
    tool_specs: list[ToolSpec] | None = None
    #: (name, one-line description) of the skills offered this turn; loaded once, at the first step.
    skills: list[tuple[str, str]] | None = None
    step_limit_reached: bool = False
    finished: bool = False
    #: The user's ``enabled_tools`` (None: every tool on offer); others are neither offered nor run.
    enabled_tools: frozenset[str] | None = None
    #: Why untrusted content is in the model's context (from the session's history and this turn).
    taint: list[str] = field(default_factory=list)
    #: No person is present (a routine's run): every side effect waits as a pending approval.
    unattended: bool = False
    #: The plan read before the store opened (the light read path); used by the first step only.
    initial_plan: list[dict[str, Any]] | None = None
    #: ``store_ready(orm=...)`` waits until the turn's first writes are committed (a turn started before its store was
    #: open): the flow awaits it before anything that touches the store, instead of blocking the loop.
    store_ready: Callable[..., Awaitable[object]] | None = None
    #: Called once the model's reply shows a tool call: the whole store starts opening meanwhile.
    store_warm: Callable[[], None] | None = None
    #: Taint found by the calls of the step running now; joins ``taint`` when the step ends.
    step_taint: list[str] = field(default_factory=list)
    #: Remembered facts recalled for this turn (pa_cli.memory.recall), shown to the model by id.
    memories: list[MemoryNote] = field(default_factory=list)

    @property
    def answer(self) -> str:
        return "".join(self.answer_parts)

    @property
    def untrusted_in_context(self) -> bool:
        """Untrusted content (mail, events, MCP output, tainted files) is in the model's context."""
        return bool(self.taint) or any(o.untrusted for o in self.outcomes)

    def add_taint(self, reasons: list[str]) -> None:
        for reason in reasons:
            if reason not in self.taint:
                self.taint.append(reason)

    async def stream_answer(self, text: str) -> None:
        from pa_cli.agent.events import TextDelta

        if text:
            self.answer_parts.append(text)
            await self.emit(TextDelta(text=text))
