"""Reading a provider's streamed reply: SSE bytes in, text pieces, finish reason and usage out.

pa sends BAML's rendered request itself (``llm_http``) so that every byte of the response
is seen: SSE comments (``: ping``, the keep-alives llama.cpp and others send while a
slow model reads the prompt) count as life, which BAML's own stream does not tell us.
Each provider spells the stream its own way:

- OpenAI-style (openai, openai-generic, ollama, llama.cpp, vLLM): ``data: {choices: [{delta:
  {content}, finish_reason}], usage}``, ending with ``data: [DONE]``;
- Gemini: ``data: {candidates: [{content: {parts: [{text}]}, finishReason}], usageMetadata}``;
- Anthropic: typed events, ``content_block_delta`` (text), ``message_delta`` (stop reason,
  output tokens), ``message_start`` (input tokens), ``message_stop``, ``error``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

#: Providers whose stream is OpenAI's chat-completions format.
OPENAI_STYLE = frozenset({"openai", "openai-generic", "ollama"})


class MalformedStream(Exception):
    """An event that is not the provider's JSON, or an error event in the stream."""


@dataclass
class Reply:
    """What a streamed reply has said so far."""

    pieces: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    #: The provider's end-of-reply marker arrived ([DONE], a finish reason, message_stop).
    finished: bool = False
    input_tokens: int | None = None
    output_tokens: int | None = None
    #: Any byte of the body arrived, keep-alive comments included.
    alive: bool = False

    @property
    def text(self) -> str:
        return "".join(self.pieces)


class SSEDecoder:
    """Incremental SSE parser (the WHATWG rules pa needs): bytes in, ``data`` payloads out.

    Comments (lines starting with ``:``) and fields other than ``data`` are life but not
    content; an event's ``data`` lines are joined by newlines and dispatched at a blank line.
    """

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[str] = []
        self._event = ""

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        """The ``(event type, data)`` pairs completed by ``chunk``."""
        self._buffer += chunk
        events: list[tuple[str, str]] = []
        while True:
            cut = _line_end(self._buffer)
            if cut is None:
                return events
            end, skip = cut
            line = self._buffer[:end].decode("utf-8", "replace")
            self._buffer = self._buffer[end + skip :]
            if not line:
                if self._data:
                    events.append((self._event, "\n".join(self._data)))
                self._data, self._event = [], ""
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                self._data.append(value)
            elif name == "event":
                self._event = value

    def close(self) -> list[tuple[str, str]]:
        """An event left without its blank line when the body ended (some servers do that)."""
        events = self.feed(b"\n\n") if self._buffer or self._data else []
        return events


def _line_end(buffer: bytes) -> tuple[int, int] | None:
    """Where the first line of ``buffer`` ends and how long its terminator is (CRLF, LF or CR)."""
    lf, cr = buffer.find(b"\n"), buffer.find(b"\r")
    if cr == -1 and lf == -1:
        return None
    if cr == -1 or (lf != -1 and lf < cr):
        return lf, 1
    if cr + 1 == len(buffer):
        return None  # a CR at the end may be the first half of a CRLF: wait for more
    return cr, 2 if buffer[cr + 1 : cr + 2] == b"\n" else 1


def apply_event(provider: str, reply: Reply, event: str, data: str) -> None:
    """Add one SSE event of ``provider``'s stream to ``reply``."""
    if provider in OPENAI_STYLE and data.strip() == "[DONE]":
        reply.finished = True
        return
    try:
        payload = json.loads(data)
    except ValueError:
        raise MalformedStream("a malformed response") from None
    if not isinstance(payload, dict):
        raise MalformedStream("a malformed response")
    if payload.get("error") is not None or event == "error" or payload.get("type") == "error":
        raise MalformedStream("an error in the middle of the reply")
    if provider == "gemini":
        _gemini(reply, payload)
    elif provider == "anthropic":
        _anthropic(reply, payload)
    else:
        _openai(reply, payload)


def _openai(reply: Reply, payload: dict[str, Any]) -> None:
    for choice in payload.get("choices") or []:
        if not isinstance(choice, dict):
            continue
        delta = choice.get("delta")
        if isinstance(delta, dict) and isinstance(delta.get("content"), str):
            reply.pieces.append(delta["content"])
        if choice.get("finish_reason"):
            reply.finish_reason = str(choice["finish_reason"])
            reply.finished = True
    usage = payload.get("usage")
    if isinstance(usage, dict):
        reply.input_tokens = _count(usage.get("prompt_tokens")) or reply.input_tokens
        reply.output_tokens = _count(usage.get("completion_tokens")) or reply.output_tokens


def _gemini(reply: Reply, payload: dict[str, Any]) -> None:
    for candidate in payload.get("candidates") or []:
        if not isinstance(candidate, dict):
            continue
        content = candidate.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        for part in parts or []:
            # Thought summaries (``"thought": true``) are not the reply.
            if isinstance(part, dict) and isinstance(part.get("text"), str) and not part.get("thought"):
                reply.pieces.append(part["text"])
        if candidate.get("finishReason"):
            reply.finish_reason = str(candidate["finishReason"])
            reply.finished = True
    usage = payload.get("usageMetadata")
    if isinstance(usage, dict):
        reply.input_tokens = _count(usage.get("promptTokenCount")) or reply.input_tokens
        reply.output_tokens = _count(usage.get("candidatesTokenCount")) or reply.output_tokens


def _anthropic(reply: Reply, payload: dict[str, Any]) -> None:
    kind = payload.get("type")
    if kind == "content_block_delta":
        delta = payload.get("delta")
        if (
            isinstance(delta, dict)
            and delta.get("type") == "text_delta"
            and isinstance(delta.get("text"), str)
        ):
            reply.pieces.append(delta["text"])
    elif kind == "message_start":
        message = payload.get("message")
        usage = message.get("usage") if isinstance(message, dict) else None
        if isinstance(usage, dict):
            reply.input_tokens = _count(usage.get("input_tokens")) or reply.input_tokens
    elif kind == "message_delta":
        delta = payload.get("delta")
        if isinstance(delta, dict) and delta.get("stop_reason"):
            reply.finish_reason = str(delta["stop_reason"])
        usage = payload.get("usage")
        if isinstance(usage, dict):
            reply.output_tokens = _count(usage.get("output_tokens")) or reply.output_tokens
    elif kind == "message_stop":
        reply.finished = True


def _count(value: Any) -> int | None:
    """A token count the server sent; None when it sent none (unknown, not zero)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
