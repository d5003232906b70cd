"""What the fake LLM is scripted with (:class:`Reply`) and what it records (:class:`RecordedRequest`)."""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Protocol = Literal["openai", "gemini"]
Responder = Callable[["RecordedRequest"], "Reply | str | None"]

SCRIPT_EXHAUSTED = "fake LLM script exhausted"
_SECRET_HEADERS = frozenset({"authorization", "x-goog-api-key", "api-key", "x-api-key"})


@dataclass
class Reply:
    """One scripted answer.

    ``text`` is the whole reply (the text the model "says"); streamed replies are cut into
    ``chunk_size``-character pieces unless ``chunks`` gives them explicitly (then ``text`` is
    ignored). Garbage that BAML cannot parse into the function's output type is simply a ``text``.
    """

    text: str = ""
    chunks: list[str] | None = None
    chunk_size: int = 12
    delay_before_ms: float = 0.0
    """Latency before the response headers are sent."""
    delay_between_chunks_ms: float = 0.0
    status: int = 200
    """>= 400 sends an error body in the provider's format instead of a completion."""
    retry_after: float | None = None
    """Seconds; sent as ``Retry-After`` (rounded up) and ``retry-after-ms``."""
    error_message: str | None = None
    malformed: bool = False
    """Send a body (or SSE event) that is not valid JSON."""
    drop_after_chunks: int | None = None
    """Streamed: close the connection after this many content chunks, with no finish chunk,
    usage or ``[DONE]``. Not streamed: close the connection before sending any response."""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    """Usage; by default estimated as ceil(characters / 4) of the prompt and of the reply."""
    finish_reason: str = "stop"
    """OpenAI spelling (stop, length, content_filter) or Gemini's (STOP, MAX_TOKENS, SAFETY):
    each protocol gets its own spelling."""
    sse_body: bytes | None = None
    """Replay mode: the exact bytes of a recorded SSE response body (keep-alive comments and
    all), sent as they are, event by event, to a streamed request; every other field but the
    delays and ``status`` is ignored. See :meth:`recorded`."""

    keepalive_every_ms: float = 0.0
    """Replay mode: wait this long before each SSE comment (``: ping``) of the recording, as the
    real server did between its keep-alives while the model read the prompt (15 s apart in the
    llama.cpp recordings; scaled down here so a test takes seconds)."""

    @classmethod
    def recorded(cls, path: str | os.PathLike[str], **fields: Any) -> Reply:
        """Replay a response recorded from a real server (a file of raw SSE bytes)."""
        with open(path, "rb") as handle:
            return cls(sse_body=handle.read(), **fields)

    def sse_events(self) -> list[bytes]:
        """The recorded body cut after each blank line (one SSE event or comment each), bytes kept."""
        body = self.sse_body or b""
        pieces = re.split(rb"(?<=\n\n)|(?<=\r\n\r\n)", body)
        return [piece for piece in pieces if piece]

    @property
    def full_text(self) -> str:
        if self.sse_body is not None:
            return replayed_text(self.sse_body)
        return "".join(self.chunks) if self.chunks is not None else self.text

    def pieces(self) -> list[str]:
        """The content chunks of a streamed reply (at least one, possibly empty)."""
        if self.chunks is not None:
            return list(self.chunks) or [""]
        size = max(1, self.chunk_size)
        return [self.text[i : i + size] for i in range(0, len(self.text), size)] or [""]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | str) -> Reply:
        """Build from a script-file entry: an object of Reply fields, or a bare string (the text)."""
        if isinstance(data, str):
            return cls(text=data)
        known = {f.name for f in dataclasses.fields(cls)} | {"recorded"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown Reply field(s): {', '.join(unknown)}")
        fields = dict(data)
        if "recorded" in fields:  # a script file names a recording by its path
            return cls.recorded(fields.pop("recorded"), **fields)
        return cls(**fields)


def replayed_text(body: bytes) -> str:
    """The text a recorded OpenAI-style SSE body says (its ``delta.content`` pieces joined)."""
    import json

    text = []
    for line in body.decode("utf-8", "replace").splitlines():
        if not line.startswith("data:") or line[5:].strip() == "[DONE]":
            continue
        try:
            event = json.loads(line[5:])
        except ValueError:
            continue
        for choice in event.get("choices") or [] if isinstance(event, dict) else []:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if isinstance(delta, dict) and isinstance(delta.get("content"), str):
                text.append(delta["content"])
    return "".join(text)


@dataclass(repr=False)
class RecordedRequest:
    """A request the fake received. Header names are lower-case; secret values are kept for
    assertions but redacted in ``repr``."""

    method: str
    path: str
    query: dict[str, list[str]]
    protocol: Protocol
    model: str | None
    headers: dict[str, str]
    body: bytes
    json: Any
    streamed: bool
    messages: list[dict[str, str]] = field(default_factory=list)
    """Normalised ``{"role", "content"}`` text messages (Gemini's systemInstruction as "system")."""
    received_at: float = field(default_factory=time.monotonic)
    chunks_sent_at: list[float] = field(default_factory=list)
    """``time.monotonic()`` when each content chunk of a streamed reply was written (for latency figures)."""

    @property
    def prompt_text(self) -> str:
        """Every message text, joined by newlines."""
        return "\n".join(message["content"] for message in self.messages)

    @property
    def api_key(self) -> str | None:
        """The key the client sent: a Bearer token, ``x-goog-api-key`` or ``?key=``."""
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:]
        if "x-goog-api-key" in self.headers:
            return self.headers["x-goog-api-key"]
        keys = self.query.get("key")
        return keys[0] if keys else None

    def __repr__(self) -> str:
        headers = {k: ("<redacted>" if k in _SECRET_HEADERS else v) for k, v in self.headers.items()}
        prompt = self.prompt_text
        excerpt = prompt if len(prompt) <= 80 else prompt[:77] + "..."
        return (
            f"RecordedRequest({self.method} {self.path} protocol={self.protocol} model={self.model!r} "
            f"streamed={self.streamed} prompt={excerpt!r} headers={headers!r})"
        )
