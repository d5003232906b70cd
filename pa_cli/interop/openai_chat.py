"""The OpenAI chat-completions wire format around pa's agent: requests, session mapping, chunks.

An OpenAI client sends the whole conversation every time; pa keeps it in a
session. The last user message is the turn; which session it continues is, in
order: ``metadata.pa_session_id`` (a pa session of this user), ``user`` (one
session per value, for clients that send a stable user or chat id), or a stable
hash of the earlier messages (the conversation as pa answered it: each answer
is remembered under the hash of the messages up to and including it). A
conversation pa has not seen (edited, or started elsewhere) starts a new
session, with its earlier messages given to the agent as quoted context.
System messages are the client's own instructions: context too, never pa's
rules, so they cannot lift an approval or a policy.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MODEL_ID = "pa"
#: Context quoted from a conversation pa has not seen is cut to this many characters.
MAX_CONTEXT_CHARS = 20_000


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    """What pa reads of a chat-completions request; other OpenAI options are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    user: str | None = Field(None, max_length=256)
    metadata: dict[str, str] | None = None


def message_text(message: ChatMessage) -> str:
    """The text of a message (the text parts of a multi-part content)."""
    if isinstance(message.content, str):
        return message.content
    parts = message.content or []
    return "\n".join(str(p.get("text", "")) for p in parts if isinstance(p, dict) and p.get("type") == "text")


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=True, separators=(",", ":")).encode()).hexdigest()


def conversation_key(user_id: int, messages: list[tuple[str, str]]) -> str:
    """The hash a conversation is remembered by: its user and assistant messages, in order."""
    return "h:" + _digest(user_id, [[role, " ".join(text.split())] for role, text in messages])


def explicit_key(user_id: int, value: str) -> str:
    return "u:" + _digest(user_id, value)


@dataclass
class TurnPlan:
    """What to run: the message, the session to continue (or None), context, and keys to remember."""

    message: str
    session_id: str | None
    context: str | None
    #: Remember the session under this key now (explicit ``user``), or under the hash after the answer.
    explicit: str | None = None
    transcript: list[tuple[str, str]] = field(default_factory=list)


class BadRequest(ValueError):
    """The request cannot be run (the message says why, for the client)."""


def plan_turn(request: ChatCompletionRequest, user_id: int, find: Any) -> TurnPlan:
    """Pick the message, session and context; ``find(key)`` returns a remembered session id or None."""
    last_user = max((i for i, m in enumerate(request.messages) if m.role == "user"), default=None)
    if last_user is None:
        raise BadRequest("messages must contain a user message")
    message = message_text(request.messages[last_user]).strip()
    if not message:
        raise BadRequest("the last user message is empty")
    earlier = request.messages[:last_user]
    transcript: list[tuple[str, str]] = [
        (str(m.role), message_text(m)) for m in earlier if m.role in ("user", "assistant")
    ]
    system = [message_text(m) for m in request.messages if m.role in ("system", "developer")]
    metadata = request.metadata or {}
    explicit_session = metadata.get("pa_session_id")
    if explicit_session:
        return TurnPlan(message, explicit_session, _context(system, []), transcript=transcript)
    if request.user:
        key = explicit_key(user_id, request.user)
        return TurnPlan(message, find(key), _context(system, []), explicit=key, transcript=transcript)
    session_id = find(conversation_key(user_id, transcript)) if transcript else None
    quoted = transcript if session_id is None else []
    return TurnPlan(message, session_id, _context(system, quoted), transcript=transcript)


def _context(system: list[str], transcript: list[tuple[str, str]]) -> str | None:
    parts: list[str] = []
    if system:
        parts.append("The client's instructions (system messages):\n" + "\n".join(system))
    if transcript:
        lines = [f"{role}: {text}" for role, text in transcript]
        parts.append("The conversation so far, as the client sent it:\n" + "\n".join(lines))
    text = "\n\n".join(parts)
    return text[-MAX_CONTEXT_CHARS:] if text else None


def key_after_answer(user_id: int, plan: TurnPlan, answer: str) -> str:
    """The key the next request of this conversation will carry: everything up to this answer."""
    return conversation_key(user_id, [*plan.transcript, ("user", plan.message), ("assistant", answer)])


def approval_note(pending: list[tuple[str, str]]) -> str:
    """Tell the person, in the answer itself, what waits and how to let it run."""
    if not pending:
        return ""
    lines = [
        f"- waiting for approval: {tool} (run `pa approve {approval_id}` or `pa deny {approval_id}`)"
        for approval_id, tool in pending
    ]
    return "\n\n" + "\n".join(lines)


def completion_id(turn_id: str) -> str:
    return f"chatcmpl-{turn_id}"


def chunk(cid: str, created: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def completion(
    cid: str, text: str, usage: dict[str, int] | None, session_id: str, pending: list[tuple[str, str]]
) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL_ID,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": usage,
        "pa": {"session_id": session_id, "pending_approvals": [a for a, _ in pending]},
    }


def openai_usage(input_tokens: int | None, output_tokens: int | None) -> dict[str, int] | None:
    """OpenAI's usage object; None (JSON null) when the model reported no token counts."""
    if input_tokens is None or output_tokens is None:
        return None
    return {
        "prompt_tokens": input_tokens,
        "completion_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }


def error_body(message: str, code: str, kind: str = "invalid_request_error") -> dict[str, Any]:
    """OpenAI's error shape (which also holds pa's ``code`` and ``message``)."""
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def models() -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "pa"}],
    }
