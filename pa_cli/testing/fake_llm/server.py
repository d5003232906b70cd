"""The :class:`FakeLLM` server: scripting, recording and serving requests over asyncio HTTP/1.1."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import threading
import time
from collections import deque
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from pa_cli.testing.fake_llm.http11 import chunk_frame, read_request, response_head, send_json
from pa_cli.testing.fake_llm.script import SCRIPT_EXHAUSTED, RecordedRequest, Reply, Responder
from pa_cli.testing.fake_llm.wire import Render, as_dict, error_body, gemini_messages, openai_messages

_GEMINI_PATH = re.compile(r"^.*/models/(?P<model>[^/:]+):(?P<method>generateContent|streamGenerateContent)$")


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
                request = await read_request(reader, writer)
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
            await send_json(writer, 200, {"status": "ok"}, keep_alive=keep_alive)
            return keep_alive
        match = _GEMINI_PATH.match(path)
        if method != "POST" or not (match or path.endswith("/chat/completions")):
            error = {"error": {"code": 404, "message": f"fake LLM: no route for {method} {path}"}}
            await send_json(writer, 404, error, keep_alive=keep_alive)
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
            payload = error_body(request.protocol, reply.status, reply.error_message)
            await send_json(writer, reply.status, payload, extra, keep_alive=keep_alive)
            return keep_alive
        if not request.streamed and reply.drop_after_chunks is not None:
            return False
        if reply.sse_body is not None and request.streamed:
            return await self._replay(writer, request, reply, keep_alive)
        renderer = Render(request, reply, next(self._counter))
        if not request.streamed:
            if reply.malformed:
                await send_json(writer, reply.status, renderer.malformed(), keep_alive=keep_alive)
            else:
                await send_json(writer, reply.status, renderer.complete(), keep_alive=keep_alive)
            return keep_alive
        if request.protocol == "gemini" and request.query.get("alt") != ["sse"]:
            await send_json(writer, reply.status, renderer.gemini_chunks(), keep_alive=keep_alive)
            return keep_alive
        return await self._stream(writer, renderer, reply, keep_alive)

    async def _stream(
        self, writer: asyncio.StreamWriter, renderer: Render, reply: Reply, keep_alive: bool
    ) -> bool:
        head = [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]
        writer.write(response_head(reply.status, [*head, ("Transfer-Encoding", "chunked")], keep_alive))
        if reply.malformed:
            events: list[str] = [renderer.malformed().decode()]
            if renderer.request.protocol == "openai":
                events.append("[DONE]")
            for data in events:
                writer.write(chunk_frame(f"data: {data}\n\n".encode()))
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
            writer.write(chunk_frame(f"data: {event}\n\n".encode()))
            if 0 <= content_index < len(pieces):
                renderer.request.chunks_sent_at.append(time.monotonic())
            await writer.drain()
        if drop_at is not None:
            writer.transport.abort()  # Gemini: every chunk sent, body still unterminated
            return False
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return keep_alive

    async def _replay(
        self, writer: asyncio.StreamWriter, request: RecordedRequest, reply: Reply, keep_alive: bool
    ) -> bool:
        """Send a recorded SSE body byte for byte, one event (or keep-alive comment) per chunk."""
        head = [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]
        writer.write(response_head(reply.status, [*head, ("Transfer-Encoding", "chunked")], keep_alive))
        for index, event in enumerate(reply.sse_events()):
            if event.startswith(b":") and reply.keepalive_every_ms > 0:
                await asyncio.sleep(reply.keepalive_every_ms / 1000)
            elif index and reply.delay_between_chunks_ms > 0:
                await asyncio.sleep(reply.delay_between_chunks_ms / 1000)
            writer.write(chunk_frame(event))
            request.chunks_sent_at.append(time.monotonic())
            await writer.drain()
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


# ---- request recording ----------------------------------------------------------------------
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
    data = as_dict(payload)
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
            messages=gemini_messages(data),
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
        messages=openai_messages(data),
    )
