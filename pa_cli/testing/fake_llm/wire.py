"""The two wire protocols: OpenAI and Gemini bodies, SSE events, error bodies, prompt messages."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from typing import Any

from pa_cli.testing.fake_llm.http11 import reason_phrase
from pa_cli.testing.fake_llm.script import Protocol, RecordedRequest, Reply

_OPENAI_TO_GEMINI_FINISH = {"stop": "STOP", "length": "MAX_TOKENS", "content_filter": "SAFETY"}
_GEMINI_TO_OPENAI_FINISH = {value: key for key, value in _OPENAI_TO_GEMINI_FINISH.items()}
_GEMINI_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_OPENAI_ERROR_TYPE = {
    400: "invalid_request_error",
    401: "invalid_api_key",
    404: "not_found_error",
    429: "rate_limit_exceeded",
}


class Render:
    """Turns a Reply into one protocol's bodies and stream events."""

    def __init__(self, request: RecordedRequest, reply: Reply, serial: int) -> None:
        self.request = request
        self.reply = reply
        self.model = request.model or "fake-model"
        self.id = f"fake-{serial}"
        self.created = int(time.time())
        prompt_tokens, completion_tokens = reply.prompt_tokens, reply.completion_tokens
        self.prompt_tokens = _tokens(request.prompt_text) if prompt_tokens is None else prompt_tokens
        self.completion_tokens = _tokens(reply.full_text) if completion_tokens is None else completion_tokens
        if request.protocol == "openai":
            self.finish = _GEMINI_TO_OPENAI_FINISH.get(reply.finish_reason, reply.finish_reason)
        else:
            self.finish = _OPENAI_TO_GEMINI_FINISH.get(reply.finish_reason, reply.finish_reason)
        self.leading_events = 1 if request.protocol == "openai" else 0

    def complete(self) -> dict[str, Any]:
        if self.request.protocol == "gemini":
            return self._gemini(self.reply.full_text, self.finish, self.completion_tokens)
        return {
            "id": f"chatcmpl-{self.id}",
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": self.reply.full_text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": self.finish,
                }
            ],
            "usage": self._openai_usage(),
            "system_fingerprint": "fp_fake",
        }

    def malformed(self) -> bytes:
        start = json.dumps(self.reply.full_text)[: max(2, len(self.reply.full_text) // 2)]
        if self.request.protocol == "gemini":
            return b'{"candidates": [{"content": {"parts": [{"text": ' + start.encode()
        return b'{"object": "chat.completion", "choices": [{"delta": {"content": ' + start.encode()

    def gemini_chunks(self) -> list[dict[str, Any]]:
        return [json.loads(event) for event in self.stream_events(self.reply.pieces())]

    def stream_events(self, pieces: list[str]) -> Iterator[str]:
        """SSE ``data`` payloads: OpenAI role chunk, content chunks, finish chunk, usage chunk
        (when asked for), ``[DONE]``; Gemini one chunk per piece, the last with finishReason."""
        if self.request.protocol == "gemini":
            total = sum(len(piece) for piece in pieces)
            sent = 0
            for index, piece in enumerate(pieces):
                sent += len(piece)
                last = index == len(pieces) - 1
                share = math.ceil(self.completion_tokens * sent / max(1, total))
                tokens = self.completion_tokens if last else share
                yield json.dumps(self._gemini(piece, self.finish if last else None, tokens))
            return
        with_usage = bool((as_dict(self.request.json).get("stream_options") or {}).get("include_usage"))
        yield self._openai_chunk({"role": "assistant", "content": ""}, None, with_usage)
        for piece in pieces:
            yield self._openai_chunk({"content": piece}, None, with_usage)
        yield self._openai_chunk({}, self.finish, with_usage)
        if with_usage:
            usage_chunk = self._openai_chunk_base()
            usage_chunk.update(choices=[], usage=self._openai_usage())
            yield json.dumps(usage_chunk)
        yield "[DONE]"

    def _openai_chunk_base(self) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{self.id}",
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "fp_fake",
        }

    def _openai_chunk(self, delta: dict[str, Any], finish: str | None, with_usage: bool) -> str:
        chunk = self._openai_chunk_base()
        chunk["choices"] = [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
        if with_usage:
            chunk["usage"] = None
        return json.dumps(chunk)

    def _openai_usage(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }

    def _gemini(self, text: str, finish: str | None, completion_tokens: int) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
        if finish is not None:
            candidate["finishReason"] = finish
        return {
            "candidates": [candidate],
            "usageMetadata": {
                "promptTokenCount": self.prompt_tokens,
                "candidatesTokenCount": completion_tokens,
                "totalTokenCount": self.prompt_tokens + completion_tokens,
            },
            "modelVersion": self.model,
            "responseId": self.id,
        }


# ---- prompt messages ------------------------------------------------------------------------
def openai_messages(data: dict[str, Any]) -> list[dict[str, str]]:
    messages = []
    for message in data.get("messages") or []:
        message = as_dict(message)
        content = message.get("content")
        if isinstance(content, list):
            content = "".join(str(as_dict(part).get("text", "")) for part in content)
        messages.append({"role": str(message.get("role", "")), "content": str(content or "")})
    return messages


def gemini_messages(data: dict[str, Any]) -> list[dict[str, str]]:
    messages = []
    system = as_dict(data.get("systemInstruction") or data.get("system_instruction"))
    if system:
        messages.append({"role": "system", "content": _gemini_text(system)})
    for content in data.get("contents") or []:
        content = as_dict(content)
        messages.append({"role": str(content.get("role", "user")), "content": _gemini_text(content)})
    return messages


def _gemini_text(content: dict[str, Any]) -> str:
    return "".join(str(as_dict(part).get("text", "")) for part in content.get("parts") or [])


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


# ---- error bodies ---------------------------------------------------------------------------
def error_body(protocol: Protocol, status: int, message: str | None) -> dict[str, Any]:
    phrase = reason_phrase(status)
    text = message or f"fake LLM: HTTP {status} {phrase}"
    if protocol == "gemini":
        return {"error": {"code": status, "message": text, "status": _GEMINI_STATUS.get(status, "UNKNOWN")}}
    kind = _OPENAI_ERROR_TYPE.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": text, "type": kind, "param": None, "code": kind}}
