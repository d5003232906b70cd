"""The data the agent flow exchanges with the LLM layer (re-exported by ``pa_cli.agent.llm``).

Plain dataclasses: cheap to import, nothing from BAML leaks out of the LLM layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pa_cli.errors import EXIT_AUTH, PaError

LLMErrorCode = Literal[
    "rate_limited",
    "unavailable",
    "timeout",
    "bad_output",
    "auth",
    "config",
    "no_api_key",
    "secret_store_locked",
]
#: Codes that need the user to supply or unlock a credential: exit code 3, like an authorization.
CREDENTIAL_CODES = frozenset({"auth", "no_api_key", "secret_store_locked"})


@dataclass(frozen=True)
class ToolSpec:
    """What the LLM is told about one tool."""

    name: str
    description: str
    parameters: dict[str, Any]  # the arguments' JSON schema (pydantic's model_json_schema())
    side_effect: bool = False
    available: bool = True
    note: str | None = None  # why it is unavailable, e.g. "not authorized: run `pa tools authorize gmail`"


@dataclass(frozen=True)
class HistoryItem:
    role: Literal["user", "assistant", "tool"]
    content: str


@dataclass(frozen=True)
class ToolOutcome:
    """One tool call of the current turn and its result."""

    tool: str
    arguments: dict[str, Any]
    ok: bool
    content: str  # the tool's result as JSON text
    untrusted: bool = False  # written by someone other than the user (mail, events, MCP)


@dataclass(frozen=True)
class MemoryNote:
    """A remembered fact recalled for this turn, shown to the model under its id."""

    id: str
    text: str
    untrusted: bool = False


@dataclass
class TurnContext:
    system_prompt: str
    now: datetime  # aware
    timezone: str  # IANA name
    tools: list[ToolSpec]
    history: list[HistoryItem]
    plan: list[dict[str, Any]]  # [{"title", "status"}]
    user_message: str
    attached_context: str | None = None
    tool_outcomes: list[ToolOutcome] = field(default_factory=list)  # this turn's results so far
    #: (name, one-line description) of the skills on offer; their text comes from skill_read.
    skills: list[tuple[str, str]] = field(default_factory=list)
    memories: list[MemoryNote] = field(default_factory=list)  # recalled facts (pa_cli.memory)


@dataclass(frozen=True)
class ProposedCall:
    tool: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Thinking:
    """The output of PersonalAssistantThinking: tool calls to make, or the answer."""

    thought: str
    tool_calls: list[ProposedCall]
    answer: str | None
    #: The answer stopped at the length limit (what was shown is kept, with a note).
    truncated: bool = False


def _plus(total: int | None, more: int | None) -> int | None:
    if more is None:
        return total
    return more if total is None else total + more


@dataclass
class Usage:
    """Token usage; a count is None (unknown) until some reply reports it, never a made-up 0."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    calls: int = 0  # requests sent to the LLM, retries included

    def add(self, other: Usage) -> None:
        self.input_tokens = _plus(self.input_tokens, other.input_tokens)
        self.output_tokens = _plus(self.output_tokens, other.output_tokens)
        self.calls += other.calls


class LLMError(PaError):
    """The LLM could not be used; ``code`` says why, ``message`` is one line for the user.

    Codes: rate_limited, unavailable, timeout, bad_output, config, and the credential
    codes (exit 3): auth (the key was refused), no_api_key, secret_store_locked.
    Messages never contain prompt text, model output or keys.
    """

    def __init__(self, code: LLMErrorCode, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        if code in CREDENTIAL_CODES:
            self.exit_code = EXIT_AUTH
