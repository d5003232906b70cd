"""The closed set of events a turn emits; the CLI prints them, the TUI renders them, the server sends them as SSE.

``type`` doubles as the SSE event name of the HTTP contract.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter


class _Event(BaseModel):
    def payload(self) -> dict[str, Any]:
        """The event's data without its ``type`` (the SSE ``data:`` field)."""
        return self.model_dump(mode="json", exclude={"type"})


class SessionStarted(_Event):
    type: Literal["session"] = "session"
    session_id: str
    turn_id: str
    resumed: bool = False


class TextDelta(_Event):
    type: Literal["token"] = "token"
    text: str


class ToolCallStarted(_Event):
    type: Literal["tool_start"] = "tool_start"
    call_id: str
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class ToolCallFinished(_Event):
    type: Literal["tool_end"] = "tool_end"
    call_id: str
    tool: str
    ok: bool
    summary: str = ""
    status: Literal["done", "failed", "denied", "awaiting_approval"] = "done"


class ApprovalRequired(_Event):
    type: Literal["approval_required"] = "approval_required"
    id: str
    tool: str
    preview: str
    expires_at: str | None = None
    #: A batch's items ({"id", "label"}), all ticked: a person may leave some out when approving.
    choices: list[dict[str, str]] = []


class PlanUpdated(_Event):
    type: Literal["plan"] = "plan"
    steps: list[dict[str, str]]


class Waiting(_Event):
    """The turn is waiting for the LLM: a retry after an error, shown as a quiet status on a TTY."""

    type: Literal["waiting"] = "waiting"
    reason: str
    retry_in: float | None = None


class Usage(BaseModel):
    """Token counts are null when the LLM server reported none (unknown, not zero)."""

    llm_calls: int = 0
    input_tokens: int | None = None
    output_tokens: int | None = None


class Done(_Event):
    type: Literal["done"] = "done"
    response: str
    session_id: str
    tools_used: list[str] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    pending_approvals: list[str] = Field(default_factory=list)
    incomplete: bool = False
    #: Ids of the remembered facts recalled into this turn's context.
    memories: list[str] = Field(default_factory=list)


class Error(_Event):
    type: Literal["error"] = "error"
    code: str
    message: str
    hint: str | None = None


Event = Annotated[
    SessionStarted
    | TextDelta
    | ToolCallStarted
    | ToolCallFinished
    | ApprovalRequired
    | PlanUpdated
    | Waiting
    | Done
    | Error,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
