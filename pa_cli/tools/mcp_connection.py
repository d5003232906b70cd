"""One long-lived MCP server process per configured server, kept alive for the life of an event loop.

The SDK's ``stdio_client`` hides the process, and turns a stdout line that is not
JSON-RPC (a start-up banner) into an ERROR log with a pydantic traceback on the
user's terminal. This module owns the process instead: lines that are not
JSON-RPC go to the server's log file, the pid and exit code are known (a dead
server is restarted on the next call), and a server that fails at start is
reported with its own last stderr line and the path of its log file.

A connection lives in one runner task on the loop that started it (anyio
contexts must be left in the task that entered them); calls from any task of
that loop share its ``ClientSession``. ``pool_for_running_loop`` gives each
event loop its own pool, so a loop that ends (``asyncio.run`` returning) takes
its processes down with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pa_cli.tools.mcp_environment import default_environment

if TYPE_CHECKING:
    from pa_cli.config import MCPServerSettings

logger = logging.getLogger(__name__)

#: How long a server may take to start and answer ``initialize``; and one tool call.
START_TIMEOUT_SECONDS = 30.0
CALL_TIMEOUT_SECONDS = 120.0
#: How long a closing server gets after its stdin closes, before it is terminated.
STOP_GRACE_SECONDS = 2.0


class MCPServerError(Exception):
    """A server could not be started, died, or did not answer: the message says which and where to look."""


def log_path(server: MCPServerSettings, log_dir: Path | None) -> Path | None:
    from pa_cli.tools.mcp_source import sanitize_name_part

    if log_dir is None:
        return None
    return log_dir / f"mcp-{sanitize_name_part(server.name) or 'server'}.log"


def _last_line(path: Path | None, since: int) -> str | None:
    """The last non-empty line the server wrote to its log after offset ``since``."""
    if path is None:
        return None
    try:
        with open(path, "rb") as fh:
            fh.seek(since)
            tail = fh.read()[-4000:].decode("utf-8", "replace")
    except OSError:
        return None
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    return lines[-1][:300] if lines else None


ToolsListener = Callable[[list[Any]], Awaitable[None] | None]


class ServerConnection:
    """One server: started on first use, reused, restarted when its process has died."""

    def __init__(self, server: MCPServerSettings, log_dir: Path | None) -> None:
        self.server = server
        self.log_dir = log_dir
        self.log_file = log_path(server, log_dir)
        self.pid: int | None = None
        self.returncode: int | None = None
        self._session: Any = None
        self._stop: asyncio.Event | None = None
        self._runner: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._log_offset = 0
        #: Called with the new tool list after ``notifications/tools/list_changed``.
        self.listeners: list[ToolsListener] = []
        self.tools: list[Any] | None = None
        #: Started for a call, so its tool list (maybe served from the cache) has not been checked yet.
        self._unlisted = False
        self._background: set[asyncio.Task[None]] = set()

    @property
    def alive(self) -> bool:
        return self._session is not None and self._runner is not None and not self._runner.done()

    async def session(self, limit: float = START_TIMEOUT_SECONDS) -> Any:
        """The live session, starting (or restarting) the server first when needed."""
        async with self._lock:
            if not self.alive:
                await self._start(limit)
            return self._session

    async def call_tool(self, name: str, arguments: dict[str, Any], limit: float) -> Any:
        session = await self.session()
        if self._unlisted:  # the tools came from the cache: check them (and refresh it) meanwhile
            self._unlisted = False
            self._in_background(self._refresh_tools())
        try:
            async with asyncio.timeout(limit):
                return await session.call_tool(name, arguments)
        except TimeoutError:
            # Its state is unknown now (some servers answer one request at a time): start afresh next time.
            await self.close()
            raise MCPServerError(
                f"MCP server {self.server.name!r} did not answer within {limit:.0f} s; it was stopped "
                f"and starts again on the next call{self._where()}"
            ) from None
        except Exception as exc:
            if not self.alive or self._process_gone():
                await self.close()
                raise MCPServerError(self._died_message("during the call")) from None
            raise MCPServerError(f"MCP server {self.server.name!r} failed: {_describe(exc)}") from None

    async def list_tools(self, limit: float = START_TIMEOUT_SECONDS) -> list[Any]:
        session = await self.session(limit)
        self._unlisted = False
        async with asyncio.timeout(limit):
            tools = await _list_all(session)
        self.tools = tools
        return tools

    def _in_background(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self) -> None:
        """Stop the server (stdin closed, then terminate, then kill) and forget the session."""
        runner, stop, was_up = self._runner, self._stop, self._session is not None
        self._session = None
        self._runner = None
        if stop is not None:
            stop.set()
        if runner is None or runner.done():
            return
        if not was_up:  # stuck before its session was up: it never sees ``stop``
            runner.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(asyncio.shield(runner), STOP_GRACE_SECONDS * 3 + 2)

    # --- internals ---------------------------------------------------------------

    def _where(self) -> str:
        return f" (its log: {self.log_file})" if self.log_file is not None else ""

    def _process_gone(self) -> bool:
        return self.returncode is not None

    def _died_message(self, when: str) -> str:
        code = f" with exit code {self.returncode}" if self.returncode is not None else ""
        last = _last_line(self.log_file, self._log_offset)
        said = f": {last}" if last else ""
        return f"MCP server {self.server.name!r} stopped {when}{code}{said}{self._where()}"

    async def _start(self, limit: float) -> None:
        if self._runner is not None:
            await self.close()
        self.returncode = None
        self._unlisted = True
        if self.log_file is not None:
            try:
                self.log_file.parent.mkdir(parents=True, exist_ok=True)
                self._log_offset = self.log_file.stat().st_size if self.log_file.exists() else 0
            except OSError:
                self.log_file = None
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[Any] = loop.create_future()
        self._stop = asyncio.Event()
        self._runner = loop.create_task(self._run(ready, self._stop), name=f"mcp-{self.server.name}")
        try:
            async with asyncio.timeout(limit):
                self._session = await asyncio.shield(ready)
        except TimeoutError:
            await self.close()
            last = _last_line(self.log_file, self._log_offset)
            said = f"; its last words: {last}" if last else ""
            raise MCPServerError(
                f"MCP server {self.server.name!r} did not start within {limit:.0f} s{said}{self._where()}"
            ) from None
        except MCPServerError:
            raise
        except Exception as exc:
            await self.close()
            if self.pid is None:  # never spawned: the command itself is the problem
                raise MCPServerError(
                    f"MCP server {self.server.name!r} could not be started "
                    f"({self.server.command}): {_describe(exc)}"
                ) from None
            raise MCPServerError(self._died_message("at start")) from None

    async def _run(self, ready: asyncio.Future[Any], stop: asyncio.Event) -> None:
        try:
            await self._serve(ready, stop)
        except BaseException as exc:
            if not ready.done():
                if isinstance(exc, asyncio.CancelledError):
                    ready.cancel()
                else:
                    ready.set_exception(exc if isinstance(exc, Exception) else RuntimeError(str(exc)))
            if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
                raise
        finally:
            self._session = None
            if not ready.done():
                ready.set_exception(MCPServerError(self._died_message("at start")))

    async def _serve(self, ready: asyncio.Future[Any], stop: asyncio.Event) -> None:
        import anyio

        env = default_environment() | dict(self.server.env)
        with _open_log(self.log_file) as errlog:
            process = await anyio.open_process(
                [self.server.command, *self.server.args], env=env, stderr=errlog, start_new_session=True
            )
            self.pid = process.pid
            # The SDK costs ~0.8 s to import: import it while the server starts (on the other core).
            from mcp.client.session import ClientSession

            read_send, read_recv = anyio.create_memory_object_stream[Any](0)
            write_send, write_recv = anyio.create_memory_object_stream[Any](0)
            try:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(_read_stdout, process, read_send, errlog)
                    tg.start_soon(_write_stdin, process, write_recv)
                    tg.start_soon(self._watch_exit, process, stop)
                    async with ClientSession(
                        read_recv, write_send, message_handler=self._on_message
                    ) as session:
                        await session.initialize()
                        if not ready.done():
                            ready.set_result(session)
                        await stop.wait()
                    tg.cancel_scope.cancel()
            finally:
                with anyio.CancelScope(shield=True):
                    await _release(process)
                    self.returncode = process.returncode

    async def _watch_exit(self, process: Any, stop: asyncio.Event) -> None:
        self.returncode = await process.wait()
        stop.set()

    async def _on_message(self, message: Any) -> None:
        import mcp_types

        if isinstance(message, mcp_types.ToolListChangedNotification):
            self._in_background(self._refresh_tools())

    async def _refresh_tools(self) -> None:
        try:
            tools = await self.list_tools()
        except Exception as exc:
            logger.warning(
                "MCP server %r: listing tools after list_changed failed: %s", self.server.name, exc
            )
            return
        for listener in list(self.listeners):
            outcome = listener(tools)
            if outcome is not None:
                await outcome


async def _list_all(session: Any) -> list[Any]:
    remote: list[Any] = []
    cursor: str | None = None
    while True:
        if cursor is None:
            page = await session.list_tools()
        else:
            from mcp_types import PaginatedRequestParams

            page = await session.list_tools(params=PaginatedRequestParams(cursor=cursor))
        remote.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            return remote


@contextlib.contextmanager
def _open_log(path: Path | None) -> Any:
    target = str(path) if path is not None else os.devnull
    with open(target, "a", encoding="utf-8") as fh:
        yield fh


async def _read_stdout(process: Any, send: Any, errlog: IO[str]) -> None:
    """JSON-RPC lines to the session; anything else (a banner) to the log file, never the terminal."""
    import anyio
    import mcp_types
    from anyio.streams.text import TextReceiveStream
    from mcp.shared.message import SessionMessage

    buffer = ""
    async with send:
        try:
            async for chunk in TextReceiveStream(process.stdout, errors="replace"):
                lines = (buffer + chunk).split("\n")
                buffer = lines.pop()
                for line in lines:
                    if not line.strip():
                        continue
                    try:
                        message = mcp_types.jsonrpc_message_adapter.validate_json(line, by_name=False)
                    except ValueError:
                        errlog.write(f"[pa] stdout line that is not JSON-RPC (ignored): {line[:500]}\n")
                        errlog.flush()
                        continue
                    await send.send(SessionMessage(message))
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, OSError):
            return


async def _write_stdin(process: Any, receive: Any) -> None:
    import anyio

    try:
        async with receive:
            async for session_message in receive:
                data = session_message.message.model_dump_json(by_alias=True, exclude_unset=True)
                await process.stdin.send((data + "\n").encode("utf-8"))
    except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
        return


async def _stop_process(process: Any) -> None:
    import anyio

    with contextlib.suppress(Exception):
        await process.stdin.aclose()
    with anyio.move_on_after(STOP_GRACE_SECONDS):
        await process.wait()
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    with anyio.move_on_after(STOP_GRACE_SECONDS):
        await process.wait()
        return
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    await process.wait()


async def _release(process: Any) -> None:
    """Stop the process and close its pipes, so no transport outlives the loop."""
    await _stop_process(process)
    with contextlib.suppress(Exception):
        await process.aclose()


def _describe(exc: BaseException) -> str:
    from pa_cli.tools.mcp_source import describe_error

    return describe_error(exc)


class ConnectionPool:
    """The connections of one event loop, one per server (keyed by its configuration)."""

    def __init__(self) -> None:
        self._connections: dict[str, ServerConnection] = {}

    def get(self, server: MCPServerSettings, log_dir: Path | None) -> ServerConnection:
        from pa_cli.tools.mcp_cache import server_key

        key = server_key(server)
        connection = self._connections.get(key)
        if connection is None:
            connection = self._connections[key] = ServerConnection(server, log_dir)
        return connection

    async def close_all(self) -> None:
        await asyncio.gather(*(c.close() for c in self._connections.values()), return_exceptions=True)
        self._connections.clear()


_POOLS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ConnectionPool] = weakref.WeakKeyDictionary()


def pool_for_running_loop() -> ConnectionPool:
    loop = asyncio.get_running_loop()
    pool = _POOLS.get(loop)
    if pool is None:
        pool = _POOLS[loop] = ConnectionPool()
    return pool
