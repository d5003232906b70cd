"""Request and response models of the HTTP API (separate from the tables)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
    model_validator,
)

#: "Contains something other than white space", the same for every regex engine that reads it:
#: JSON Schema's (ECMA-262), pydantic's (Rust) and Python's str.strip() disagree on U+001C-U+001F,
#: U+0085 and U+FEFF, so those are listed explicitly (schemathesis found "\u0085" accepted by one
#: and refused by the other).
NOT_BLANK = r"[^\s\x1c-\x1f\u0085\ufeff]"
MAX_MESSAGE_CHARS = 100_000
MAX_CONTEXT_CHARS = 1_000_000
MAX_SYSTEM_PROMPT_CHARS = 20_000
MAX_PREFERENCES_BYTES = 64_000
#: Session ids are uuid4 hex; approval ids short lowercase words; both fit this.
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
TOOL_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day_only(value: Any) -> Any:
    """Refuse anything but ``YYYY-MM-DD`` before pydantic's lax ``date`` reads it.

    Lax mode takes ``0`` or ``1700000000`` as a Unix time, which the document (``format: date``)
    does not allow; schemathesis found ``since=0`` answered 200.
    """
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise ValueError("expected a day as YYYY-MM-DD")
    return value


#: A day as the OpenAPI document promises it: ``YYYY-MM-DD`` and nothing else.
IsoDay = Annotated[date, BeforeValidator(_iso_day_only)]


def _has_lone_surrogate(value: Any) -> bool:
    """Whether a JSON value holds a string that is not valid Unicode (a ``\\ud800`` escape alone)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        # JSON may escape half of a surrogate pair on its own; such a string cannot be stored or sent on.
        if _has_lone_surrogate(data):
            raise ValueError("the request holds a string that is not valid Unicode (a lone surrogate)")
        return data


class ChatRequest(_Request):
    message: str = Field(
        min_length=1, max_length=MAX_MESSAGE_CHARS, pattern=NOT_BLANK, description="What to ask."
    )
    session_id: str | None = Field(
        default=None, pattern=ID_PATTERN, description="Continue this session; a new one when absent."
    )
    context: str | None = Field(
        default=None, max_length=MAX_CONTEXT_CHARS, description="Extra text attached to the message."
    )


class PendingApproval(BaseModel):
    id: str
    tool: str
    preview: str
    expires_at: str | None = None


class Usage(BaseModel):
    llm_calls: int = 0
    input_tokens: int | None = Field(None, description="null when the LLM server reported no usage")
    output_tokens: int | None = Field(None, description="null when the LLM server reported no usage")


class ChatResponse(BaseModel):
    response: str
    session_id: str
    tools_used: list[str]
    pending_approvals: list[PendingApproval] = Field(
        default_factory=list, description="Side effects waiting for POST .../approvals/{id}."
    )
    incomplete: bool = False
    usage: Usage = Field(default_factory=Usage)
    memories: list[str] = Field(
        default_factory=list, description="Ids of the remembered facts recalled into this turn."
    )


class CancelResponse(BaseModel):
    session_id: str
    cancelled_turns: list[str] = Field(description="The turns that were running and are now stopped.")


class ApprovalDecision(_Request):
    approve: StrictBool
    #: For a batch approval: the items (ids from its ``choices``) to leave out; the rest runs.
    deselected: list[Annotated[str, StringConstraints(max_length=200)]] = Field(default=[], max_length=1000)


class ApprovalOut(BaseModel):
    id: str
    tool: str
    preview: str
    session_id: str | None
    created_at: datetime
    expires_at: datetime | None
    #: A batch approval's items ({"id", "label"}); POST .../approvals/{id} may leave some out.
    choices: list[dict[str, str]] = []


class ApprovalsResponse(BaseModel):
    approvals: list[ApprovalOut]


class ToolInfo(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    name: str
    description: str
    json_schema: dict[str, Any] = Field(alias="schema", description="JSON schema of the tool's arguments.")
    authorized: bool = Field(description="False when a Google service must be authorized first.")
    side_effect: bool = False
    note: str | None = None


class ToolsResponse(BaseModel):
    tools: list[ToolInfo]


class AuthorizeResponse(BaseModel):
    auth_url: str = Field(description="Open this in a browser to grant access.")
    state: str = Field(description="Identifies this authorization; single use, expires in 10 minutes.")


class OAuthResult(BaseModel):
    service: str
    scopes: list[str]
    missing_scopes: list[str]
    message: str


class AgentConfigOut(BaseModel):
    system_prompt: str | None
    enabled_tools: list[str] | None
    preferences: dict[str, Any]


class AgentConfigUpdate(_Request):
    """Fields left out keep their value; ``null`` resets the prompt or the tool list to the default."""

    system_prompt: str | None = Field(default=None, max_length=MAX_SYSTEM_PROMPT_CHARS)
    enabled_tools: list[Annotated[str, Field(pattern=TOOL_NAME_PATTERN)]] | None = Field(
        default=None, max_length=500, description="Tool names; null for all tools."
    )
    preferences: dict[str, Any] | None = None

    @field_validator("enabled_tools")
    @classmethod
    def _no_duplicates(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else list(dict.fromkeys(value))

    @field_validator("preferences")
    @classmethod
    def _small_preferences(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        import json

        if value is not None and len(json.dumps(value, ensure_ascii=False)) > MAX_PREFERENCES_BYTES:
            raise ValueError(f"preferences are limited to {MAX_PREFERENCES_BYTES} bytes of JSON")
        return value


class SessionOut(BaseModel):
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    messages: int


class SessionsResponse(BaseModel):
    sessions: list[SessionOut]
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page, or null on the last page.")


class MessageOut(BaseModel):
    id: int
    role: Literal["user", "assistant", "tool"]
    content: str
    status: str
    tool_name: str | None
    approval_id: str | None = None
    created_at: datetime


class MessagesResponse(BaseModel):
    session: SessionOut
    messages: list[MessageOut]
    limit: int
    offset: int
    next_offset: int | None


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class AuditRowOut(BaseModel):
    id: int
    created_at: datetime
    tool: str
    outcome: str = Field(description="ok, tool_error, invalid_arguments, denied, ... (the tool call's end).")
    session_id: str | None
    frontend: str = Field(description="Where the call was made: cli, tui, api.")
    client_id: str | None = Field(description="The device (API client) it was made for, if any.")
    approval_id: str | None
    preview: str | None = Field(description="What the user approved, for side effects.")
    resource_ids: list[str] = Field(description="Google resource ids the call created or touched.")
    arguments_digest: str
    row_hash: str


class AuditResponse(BaseModel):
    rows: list[AuditRowOut] = Field(description="Newest first.")
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page, or null on the last page.")
