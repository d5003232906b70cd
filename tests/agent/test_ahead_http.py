"""The request sent ahead speaks HTTP/1.1 itself: what it writes, and how it reads any reply's framing.

``ResponseReader`` is fed the reply in every possible split (one byte at a time, all at once, and at
each boundary), and must give the same head and body, and refuse what is not HTTP. The whole
exchange against real servers on loopback is in tests/cli/test_ask_ahead.py (the fake LLM) and here
(a server that answers with each framing).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from pa_cli.agent.ahead_http import (
    END,
    AheadExchange,
    AheadRequest,
    Failed,
    Head,
    ResponseReader,
    request_bytes,
)

BODY = b'data: {"a": 1}\n\ndata: {"b": "\\r\\n and 0\\r\\n\\r\\n inside"}\n\ndata: [DONE]\n\n'


def _chunked(body: bytes, sizes: list[int]) -> bytes:
    out, i = b"", 0
    for size in sizes:
        piece = body[i : i + size]
        i += size
        if piece:
            out += f"{len(piece):x};ext=1\r\n".encode() + piece + b"\r\n"
    return out + b"0\r\nTrailer: x\r\n\r\n"


RESPONSES = {
    "chunked": b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    + _chunked(BODY, [5, 1, 30, 200]),
    "content-length": b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY,
    "until-close": b"HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n" + BODY,
    "after-100": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
    + BODY,
}


def _recv_from(data: bytes, splits: list[int]) -> Callable[[int], bytes]:
    """A recv that returns ``data`` cut at ``splits`` (then b"" for the end)."""
    pieces: Iterator[bytes] = iter(
        [data[a:b] for a, b in zip([0, *splits], [*splits, len(data)], strict=True)]
    )

    def recv(limit: int) -> bytes:
        return next(pieces, b"")

    return recv


def _read(data: bytes, splits: list[int]) -> tuple[int, bytes]:
    reader = ResponseReader(_recv_from(data, splits))
    status, headers = reader.head()
    return status, b"".join(reader.body(headers))


@pytest.mark.parametrize("framing", sorted(RESPONSES))
def test_every_framing_reads_the_same_body_however_it_is_split(framing: str) -> None:
    data = RESPONSES[framing]
    assert _read(data, []) == (200, BODY)
    assert _read(data, list(range(1, len(data)))) == (200, BODY)  # one byte at a time
    for cut in range(1, len(data)):
        assert _read(data, [cut]) == (200, BODY), cut


def test_the_body_streams_as_it_arrives() -> None:
    """A chunk's bytes are handed on as they come, not when the chunk is complete."""
    data = RESPONSES["chunked"]
    head_end = data.index(b"\r\n\r\n") + 4
    reader = ResponseReader(_recv_from(data, [head_end, head_end + 6, head_end + 8]))
    _, headers = reader.head()
    body = reader.body(headers)
    assert next(body) == b"data:"
    assert next(body) == b" "


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"SSH-2.0-OpenSSH\r\n\r\n", ValueError),
        (b"HTTP/1.1 2x0 OK\r\n\r\n", ValueError),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", ValueError),
        (b"HTTP/1.1 200 OK\r\n bad: folded\r\n\r\n", ValueError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", ValueError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", ValueError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n", ValueError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", ConnectionError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", ConnectionError),
        (b"HTTP/1.1 200 OK\r\nContent-", ConnectionError),
        (b"HTTP/1.1 200 OK\r\nX: " + b"x" * 70_000, ValueError),
    ],
)
def test_what_is_not_http_or_ends_early_is_refused(data: bytes, error: type[Exception]) -> None:
    reader = ResponseReader(_recv_from(data, []))
    with pytest.raises(error):
        _, headers = reader.head()
        b"".join(reader.body(headers))


def test_the_request_on_the_wire() -> None:
    request = AheadRequest(
        "POST",
        "http://user@127.0.0.1:8080/v1/chat?x=1",
        {"Content-Type": "application/json", "Authorization": "Bearer k"},
        b'{"q": "\xc3\xa9"}',
    )
    assert request_bytes(request) == (
        b"POST /v1/chat?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer k\r\nContent-Length: 11\r\nConnection: close\r\n\r\n"
        b'{"q": "\xc3\xa9"}'
    )
    for bad in ({"X": "a\r\nInjected: 1"}, {"X\n": "a"}, {"": "a"}, {"A:B": "c"}):
        with pytest.raises(ValueError):
            request_bytes(AheadRequest("POST", "http://h/", bad, b""))


def _serve_once(reply: bytes) -> tuple[int, list[bytes]]:
    """A loopback server that reads one request and answers ``reply`` then closes."""
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, rest = data.partition(b"\r\n\r\n")
            length = int(
                next(
                    line.split(b":")[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
            )
            while len(rest) < length:
                rest += conn.recv(65536)
            received.append(head + b"\r\n\r\n" + rest)
            conn.sendall(reply)
        server.close()

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1], received


def _collect(exchange: AheadExchange) -> list[object]:
    items: list[object] = []
    done = threading.Event()
    exchange.attach(done.set)
    while not items or (items[-1] is not END and not isinstance(items[-1], Failed)):
        assert done.wait(10)
        done.clear()
        items.extend(exchange.take())
    return items


@pytest.mark.parametrize("framing", sorted(RESPONSES))
def test_a_real_exchange_over_loopback(framing: str) -> None:
    port, received = _serve_once(RESPONSES[framing])
    exchange = AheadExchange(AheadRequest("POST", f"http://127.0.0.1:{port}/v1/x", {"A": "b"}, b"{}"), 5.0)
    items = _collect(exchange)
    assert isinstance(items[0], Head) and items[0].status == 200
    assert b"".join(i for i in items if isinstance(i, bytes)) == BODY and items[-1] is END
    assert received[0].startswith(b"POST /v1/x HTTP/1.1\r\nHost: 127.0.0.1:") and received[0].endswith(
        b"\r\n\r\n{}"
    )


def test_a_refused_connection_is_told_as_such() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.close()
    items = _collect(AheadExchange(AheadRequest("POST", f"http://127.0.0.1:{port}/", {}, b""), 5.0))
    assert isinstance(items[0], Failed) and items[0].kind == "no_connection"
