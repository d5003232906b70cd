"""A real `pa serve` for tests: a subprocess on loopback (random port), or uvicorn in a thread.

``LiveServer.start(env)`` runs ``python -m pa_cli serve --port 0`` with the given
environment (its own PA_HOME, the scripted LLM, the encrypted-file secret store),
waits for its "listening on" line and ``/health``, and stops it with a signal.
Tokens are issued in this process against the same home (same database, same
signing key), exactly as ``pa serve token create`` does.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from pa_cli.config import Settings, load_settings
from pa_cli.secrets import open_secret_store
from pa_cli.server.auth import issue_token
from pa_cli.store import open_store

_LISTENING = re.compile(r"pa serve: listening on (http://\S+)")
START_TIMEOUT = 30.0
API = "/api/v1/personal-assistant"


def server_env(home: Path, llm_env: dict[str, str], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PA_", "BAML_"))}
    env.update(llm_env)
    env.update(
        {
            "PA_HOME": str(home),
            "PA_SECRET_BACKEND": "file",
            "PA_KEYRING_PASSPHRASE": "server tests only",
            "NO_COLOR": "1",
        }
    )
    env.update(extra)
    return env


def issue(env: dict[str, str], name: str = "test", now: datetime | None = None) -> tuple[str, str]:
    """(token, client id) for the home in ``env``."""
    settings = load_settings(environ=env)
    with open_store(settings) as store:
        issued = issue_token(settings, store, open_secret_store(settings.app_paths, env), name, now=now)
    return issued.token, issued.client.id


@dataclass
class LiveServer:
    process: subprocess.Popen[str]
    base_url: str
    env: dict[str, str]
    token: str = ""
    client_id: str = ""
    _lines: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, env: dict[str, str], *args: str) -> LiveServer:
        process = subprocess.Popen(
            [sys.executable, "-m", "pa_cli", "serve", "--port", "0", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        lines: list[str] = []
        found: list[str] = []
        ready = threading.Event()

        def drain() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line)
                match = _LISTENING.search(line)
                if match and not found:
                    found.append(match.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(START_TIMEOUT) or not found:
            process.kill()
            raise AssertionError("pa serve did not start:\n" + "".join(lines))
        server = cls(process=process, base_url=found[0], env=env, _lines=lines)
        server.wait_healthy()
        server.token, server.client_id = issue(env)
        return server

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("pa serve exited:\n" + self.output)
            try:
                if httpx.get(self.base_url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError("pa serve never became healthy:\n" + self.output)

    @property
    def output(self) -> str:
        return "".join(self._lines)

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=self.headers(token), timeout=30, **kwargs)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        return self.process.returncode


@dataclass
class SseEvent:
    event: str
    data: dict[str, Any]
    id: str


def sse_events(response: httpx.Response) -> Iterator[SseEvent]:
    from httpx_sse import EventSource

    for sse in EventSource(response).iter_sse():
        yield SseEvent(sse.event, json.loads(sse.data) if sse.data else {}, sse.id)


def stream_events(client: httpx.Client, path: str, body: dict[str, Any], **headers: str) -> list[SseEvent]:
    with client.stream("POST", path, json=body, headers=headers) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return list(sse_events(response))


class ThreadedServer:
    """uvicorn in a thread around ``create_app(settings, options)``: for options a subprocess cannot take."""

    def __init__(self, settings: Settings, options: Any = None) -> None:
        import uvicorn

        from pa_cli.server.app import create_app

        self.config = uvicorn.Config(
            create_app(settings, options), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(self.config)
        self.sock = self.config.bind_socket()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as `pa serve` does
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.run(self.server.serve(sockets=[self.sock]))

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise AssertionError("the threaded server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.sock.close()
