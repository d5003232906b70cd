"""A scripted LLM server on loopback, for tests and benchmarks.

It speaks just enough of two wire protocols for BAML's clients to accept its replies:

- OpenAI chat completions: ``POST .../chat/completions`` (any prefix, so ``/v1/chat/completions``
  too), plain JSON or SSE when the body says ``"stream": true`` (a usage chunk only when
  ``stream_options.include_usage`` is true, as the real API does), ending with ``data: [DONE]``.
- Gemini: ``POST .../models/{model}:generateContent`` and ``...:streamGenerateContent?alt=sse``
  (any prefix, so both ``/v1beta/models/...`` and ``/models/...``); every stream chunk carries
  ``usageMetadata`` because BAML's google-ai client drops chunks without it.

Plus ``GET /health``. Replies come from a FIFO script of :class:`Reply` objects (or callables),
then from an optional responder function, then from a default reply (HTTP 500 "fake LLM script
exhausted", so a test that under-scripts notices). Every request is recorded.

The server is raw asyncio HTTP/1.1 on its own event loop in a daemon thread: it starts in a few
milliseconds, and it can drop a connection mid-stream (``transport.abort()``) without any noise.

BAML's *sync* streaming client (``b.stream.F(...)`` from ``sync_client``, iterated) holds the GIL
while it waits for the network, which freezes every other Python thread, this server's included:
in-process, stream through the async client (as the agent does) or run the fake standalone.

Standalone: ``python -m pa_cli.testing.fake_llm --port 0 --script replies.json [--cycle]`` prints
its base URL on the first line and serves until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import http
import itertools
import json
import math
import re
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

Protocol = Literal["openai", "gemini"]
Responder = Callable[["RecordedRequest"], "Reply | str | None"]

SCRIPT_EXHAUSTED = "fake LLM script exhausted"
_SECRET_HEADERS = frozenset({"authorization", "x-goog-api-key", "api-key", "x-api-key"})
_GEMINI_PATH = re.compile(r"^.*/models/(?P<model>[^/:]+):(?P<method>generateContent|streamGenerateContent)$")
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

    @property
    def full_text(self) -> str:
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
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown Reply field(s): {', '.join(unknown)}")
        return cls(**dict(data))


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


class FakeLLM:
    """The scripted server. ``start()`` returns the base URL (``http://127.0.0.1:PORT``)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, default: Reply | None = None) -> None:
        self.host = host
        self.port = port
        self.default = default or Reply(status=500, error_message=SCRIPT_EXHAUSTED)
        self._lock = threading.Condition()
        self._queue: deque[Reply | Responder] = deque()
        self._responder: Responder | None = None
        self._requests: list[RecordedRequest] = []
        self._counter = itertools.count(1)
        self._base_url: str | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    # ---- life cycle -------------------------------------------------------------------------
    def start(self) -> str:
        if self._thread is not None:
            return self.base_url
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(target=self._serve, args=(ready, failure), name="fake-llm")
        self._thread.daemon = True
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self.base_url

    def stop(self) -> None:
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._thread = self._loop = None
        self._base_url = None

    def __enter__(self) -> FakeLLM:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self._base_url is None:
            raise RuntimeError("FakeLLM is not running: call start() first")
        return self._base_url

    @property
    def openai_base_url(self) -> str:
        """What an OpenAI client expects as base URL: ``{base_url}/v1``."""
        return self.base_url + "/v1"

    @property
    def gemini_base_url(self) -> str:
        """What BAML's google-ai ``base_url`` expects: ``{base_url}/v1beta``."""
        return self.base_url + "/v1beta"

    def env(
        self, provider: str = "openai-generic", model: str = "fake-model", api_key: str = "fake-key"
    ) -> dict[str, str]:
        """Environment variables that point a ``pa`` subprocess at this server."""
        base = self.gemini_base_url if provider == "gemini" else self.openai_base_url
        return {
            "PA_LLM_PROVIDER": provider,
            "PA_LLM_BASE_URL": base,
            "PA_LLM_MODEL": model,
            "PA_LLM_API_KEY": api_key,
        }

    # ---- scripting --------------------------------------------------------------------------
    def script(self, *replies: Reply | Responder | str) -> FakeLLM:
        """Queue replies, answered in order. A callable is called once with the request; a str
        is ``Reply(text=...)``."""
        with self._lock:
            for reply in replies:
                self._queue.append(Reply(text=reply) if isinstance(reply, str) else reply)
        return self

    def script_fn(self, responder: Responder | None) -> None:
        """Answer with ``responder(request)`` whenever the queue is empty (None to remove it).
        It may return a Reply, a str (the text) or None (fall through to the default reply).
        It runs on the server's event loop: keep it quick."""
        with self._lock:
            self._responder = responder

    def reply_text(self, text: str, **fields: Any) -> Reply:
        reply = Reply(text=text, **fields)
        self.script(reply)
        return reply

    def reply_json(self, value: Any, **fields: Any) -> Reply:
        return self.reply_text(json.dumps(value), **fields)

    def fail(
        self,
        status: int = 500,
        *,
        times: int = 1,
        retry_after: float | None = None,
        message: str | None = None,
    ) -> None:
        for _ in range(times):
            self.script(Reply(status=status, retry_after=retry_after, error_message=message))

    @property
    def pending(self) -> int:
        """How many queued replies have not been used yet."""
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            if not self._requests:
                raise AssertionError("the fake LLM has received no request")
            return self._requests[-1]

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until at least ``count`` requests arrived (AssertionError on timeout)."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._requests) >= count, timeout):
                raise AssertionError(f"expected {count} LLM request(s), got {len(self._requests)}")
            return list(self._requests)

    def reset(self) -> None:
        """Forget queued replies, the responder and recorded requests."""
        with self._lock:
            self._queue.clear()
            self._responder = None
            self._requests.clear()

    # ---- server -----------------------------------------------------------------------------
    def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            server = loop.run_until_complete(asyncio.start_server(self._connection, self.host, self.port))
        except BaseException as error:
            failure.append(error)
            loop.close()
            ready.set()
            return
        port = server.sockets[0].getsockname()[1]
        self._base_url = f"http://{self.host}:{port}"
        self._loop = loop
        ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            for task in list(self._tasks):
                task.cancel()
            loop.run_until_complete(asyncio.gather(*self._tasks, return_exceptions=True))
            loop.run_until_complete(server.wait_closed())
            loop.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._writers.add(writer)
        writer.transport.set_write_buffer_limits(high=0)  # drain() = flushed, so a drop loses nothing sent
        try:
            while True:
                request = await _read_request(reader, writer)
                if request is None:
                    break
                if not await self._respond(writer, *request):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        except asyncio.CancelledError:
            pass  # shutting down; re-raising makes asyncio's streams log an error on 3.11
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._tasks.discard(task)
            writer.transport.abort()

    async def _respond(
        self, writer: asyncio.StreamWriter, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> bool:
        """Answer one request; returns whether the connection may be reused."""
        keep_alive = headers.get("connection", "").lower() != "close"
        url = urlsplit(target)
        path = unquote(url.path)
        if method == "GET" and path == "/health":
            await _send(writer, 200, {"status": "ok"}, keep_alive=keep_alive)
            return keep_alive
        match = _GEMINI_PATH.match(path)
        if method != "POST" or not (match or path.endswith("/chat/completions")):
            error = {"error": {"code": 404, "message": f"fake LLM: no route for {method} {path}"}}
            await _send(writer, 404, error, keep_alive=keep_alive)
            return keep_alive
        request = _record(method, path, parse_qs(url.query), headers, body, match)
        with self._lock:
            self._requests.append(request)
            self._lock.notify_all()
        reply = self._next_reply(request)
        if reply.delay_before_ms > 0:
            await asyncio.sleep(reply.delay_before_ms / 1000)
        if reply.status >= 400:
            extra = []
            if reply.retry_after is not None:
                extra = [
                    ("Retry-After", str(math.ceil(reply.retry_after))),
                    ("retry-after-ms", str(round(reply.retry_after * 1000))),
                ]
            error_body = _error_body(request.protocol, reply.status, reply.error_message)
            await _send(writer, reply.status, error_body, extra, keep_alive=keep_alive)
            return keep_alive
        if not request.streamed and reply.drop_after_chunks is not None:
            return False
        renderer = _Render(request, reply, next(self._counter))
        if not request.streamed:
            if reply.malformed:
                await _send(writer, reply.status, renderer.malformed(), keep_alive=keep_alive)
            else:
                await _send(writer, reply.status, renderer.complete(), keep_alive=keep_alive)
            return keep_alive
        if request.protocol == "gemini" and request.query.get("alt") != ["sse"]:
            await _send(writer, reply.status, renderer.gemini_chunks(), keep_alive=keep_alive)
            return keep_alive
        return await self._stream(writer, renderer, reply, keep_alive)

    async def _stream(
        self, writer: asyncio.StreamWriter, renderer: _Render, reply: Reply, keep_alive: bool
    ) -> bool:
        head = [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]
        writer.write(_head(reply.status, [*head, ("Transfer-Encoding", "chunked")], keep_alive))
        if reply.malformed:
            events: list[str] = [renderer.malformed().decode()]
            if renderer.request.protocol == "openai":
                events.append("[DONE]")
            for data in events:
                writer.write(_chunk(f"data: {data}\n\n".encode()))
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            return keep_alive
        pieces = reply.pieces()
        drop_at = None if reply.drop_after_chunks is None else min(reply.drop_after_chunks, len(pieces))
        for index, event in enumerate(renderer.stream_events(pieces)):
            content_index = index - renderer.leading_events
            if drop_at is not None and content_index >= drop_at:
                await writer.drain()
                writer.transport.abort()  # no finish chunk, usage or [DONE]; chunked body unterminated
                return False
            if 0 < content_index < len(pieces) and reply.delay_between_chunks_ms > 0:
                await asyncio.sleep(reply.delay_between_chunks_ms / 1000)
            writer.write(_chunk(f"data: {event}\n\n".encode()))
            await writer.drain()
        if drop_at is not None:
            writer.transport.abort()  # Gemini: every chunk sent, body still unterminated
            return False
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return keep_alive

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            item: Reply | Responder | None = self._queue.popleft() if self._queue else self._responder
        if isinstance(item, Reply):
            return item
        if item is None:
            return self.default
        try:
            produced = item(request)
        except Exception as error:
            message = f"fake LLM responder raised {type(error).__name__}: {error}"
            return Reply(status=500, error_message=message)
        if produced is None:
            return self.default
        return Reply(text=produced) if isinstance(produced, str) else produced


class _Render:
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
        with_usage = bool((_dict(self.request.json).get("stream_options") or {}).get("include_usage"))
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


# ---- request parsing and recording ----------------------------------------------------------
async def _read_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> tuple[str, str, dict[str, str], bytes] | None:
    line = await reader.readline()
    if not line.strip():
        return None
    method, target, _version = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        parts = []
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
    return method.upper(), target, headers, body


def _record(
    method: str,
    path: str,
    query: dict[str, list[str]],
    headers: dict[str, str],
    body: bytes,
    gemini: re.Match[str] | None,
) -> RecordedRequest:
    try:
        payload: Any = json.loads(body) if body else None
    except ValueError:
        payload = None
    data = _dict(payload)
    if gemini is not None:
        return RecordedRequest(
            method=method,
            path=path,
            query=query,
            protocol="gemini",
            model=gemini["model"],
            headers=headers,
            body=body,
            json=payload,
            streamed=gemini["method"] == "streamGenerateContent",
            messages=_gemini_messages(data),
        )
    model = data.get("model")
    return RecordedRequest(
        method=method,
        path=path,
        query=query,
        protocol="openai",
        model=model if isinstance(model, str) else None,
        headers=headers,
        body=body,
        json=payload,
        streamed=data.get("stream") is True,
        messages=_openai_messages(data),
    )


def _openai_messages(data: dict[str, Any]) -> list[dict[str, str]]:
    messages = []
    for message in data.get("messages") or []:
        message = _dict(message)
        content = message.get("content")
        if isinstance(content, list):
            content = "".join(str(_dict(part).get("text", "")) for part in content)
        messages.append({"role": str(message.get("role", "")), "content": str(content or "")})
    return messages


def _gemini_messages(data: dict[str, Any]) -> list[dict[str, str]]:
    messages = []
    system = _dict(data.get("systemInstruction") or data.get("system_instruction"))
    if system:
        messages.append({"role": "system", "content": _gemini_text(system)})
    for content in data.get("contents") or []:
        content = _dict(content)
        messages.append({"role": str(content.get("role", "user")), "content": _gemini_text(content)})
    return messages


def _gemini_text(content: dict[str, Any]) -> str:
    return "".join(str(_dict(part).get("text", "")) for part in content.get("parts") or [])


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


# ---- response writing -----------------------------------------------------------------------
def _error_body(protocol: Protocol, status: int, message: str | None) -> dict[str, Any]:
    phrase = _reason(status)
    text = message or f"fake LLM: HTTP {status} {phrase}"
    if protocol == "gemini":
        return {"error": {"code": status, "message": text, "status": _GEMINI_STATUS.get(status, "UNKNOWN")}}
    kind = _OPENAI_ERROR_TYPE.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": text, "type": kind, "param": None, "code": kind}}


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _head(status: int, headers: list[tuple[str, str]], keep_alive: bool) -> bytes:
    lines = [f"HTTP/1.1 {status} {_reason(status)}", *(f"{k}: {v}" for k, v in headers)]
    lines.append(f"Connection: {'keep-alive' if keep_alive else 'close'}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


async def _send(
    writer: asyncio.StreamWriter,
    status: int,
    body: Any,
    extra_headers: list[tuple[str, str]] | None = None,
    *,
    keep_alive: bool,
) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    headers.extend(extra_headers or [])
    writer.write(_head(status, headers, keep_alive) + data)
    await writer.drain()


# ---- standalone -----------------------------------------------------------------------------
def load_script(path: str) -> list[Reply]:
    """Read a script file: a JSON list of Reply objects (field names as in :class:`Reply`) or strings."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, list):
        raise ValueError("a fake LLM script is a JSON list of replies")
    return [Reply.from_dict(item) for item in data]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pa_cli.testing.fake_llm", description="Scripted LLM.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--script", help="JSON list of replies")
    parser.add_argument("--cycle", action="store_true", help="replay the script forever")
    args = parser.parse_args(argv)
    replies = load_script(args.script) if args.script else []
    fake = FakeLLM(host=args.host, port=args.port)
    if args.cycle and replies:
        endless = itertools.cycle(replies)
        fake.script_fn(lambda _request: next(endless))
    else:
        fake.script(*replies)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(fake.start(), flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
