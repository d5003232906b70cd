"""What one server process holds: settings, the store, the agent, the signing key, the rate limiter
(its counts are in the database) and the event journal.

None of it is per-conversation state: sessions, turns, approvals and OAuth
states all live in the database or the secret store, so any worker can serve
any request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pa_cli.server.auth import Principal, authenticate
from pa_cli.server.errors import ApiError

if TYPE_CHECKING:
    from pa_cli.agent.llm import AssistantLLM
    from pa_cli.agent.service import AgentService
    from pa_cli.config import Settings
    from pa_cli.secrets import SecretStore
    from pa_cli.server.journal import EventJournal
    from pa_cli.server.limits import Limits, RateLimiter
    from pa_cli.server.live import TurnRunner
    from pa_cli.server.revocation import RevocationWatch
    from pa_cli.server.routine_loop import RoutineLoop
    from pa_cli.store import Store
    from pa_cli.tools.registry import ToolRegistry

FRONTEND = "api"


@dataclass
class ServerRuntime:
    settings: Settings
    store: Store
    secrets: SecretStore
    registry: ToolRegistry
    service: AgentService
    signing_key: bytes
    limiter: RateLimiter
    journal: EventJournal
    runner: TurnRunner
    revocations: RevocationWatch
    ping_seconds: float = 15.0
    routines: RoutineLoop | None = None
    llm_factory: Callable[[], AssistantLLM] | None = None

    async def aclose(self) -> None:
        if self.routines is not None:
            await self.routines.stop()
        await self.runner.shutdown()  # running turns store their partial answer and their end first
        await self.revocations.close()
        await self.journal.close()
        self.store.close()


@dataclass(frozen=True)
class RuntimeOptions:
    """What tests and embedders may substitute; the defaults are what `pa serve` uses."""

    limits: Limits | None = None
    secrets: SecretStore | None = None
    registry: ToolRegistry | None = None
    llm_factory: Callable[[], AssistantLLM] | None = None
    #: Seconds between SSE keep-alive comments.
    ping_seconds: float = 15.0
    #: Preload a turn's modules and freeze the start-up heap (``pa_cli.server.heap``): for a
    #: server process of its own, not for an app embedded in somebody else's process.
    settle_heap: bool = False


async def open_runtime(settings: Settings, options: RuntimeOptions) -> ServerRuntime:
    from pa_cli.agent.service import AgentService
    from pa_cli.secrets import open_secret_store
    from pa_cli.server.auth import ensure_signing_key
    from pa_cli.server.journal import EventJournal
    from pa_cli.server.limits import Limits, RateLimiter, tool_execution_guard
    from pa_cli.server.live import TurnRunner
    from pa_cli.server.revocation import RevocationWatch
    from pa_cli.store import open_store
    from pa_cli.tools.registry import ToolRegistry

    secrets = options.secrets or open_secret_store(settings.app_paths, interactive=False)
    signing_key = ensure_signing_key(secrets)
    store = open_store(settings)
    try:
        registry = options.registry or await ToolRegistry.aload(settings)
        limiter = RateLimiter(options.limits or Limits.from_settings(settings.server), store)
        service = AgentService(
            settings,
            store,
            registry,
            llm_factory=options.llm_factory,
            tool_guard=tool_execution_guard(limiter),
        )
    except BaseException:
        store.close()
        raise
    journal = EventJournal(store)
    runtime = ServerRuntime(
        settings,
        store,
        secrets,
        registry,
        service,
        signing_key,
        limiter,
        journal,
        TurnRunner(store, journal),
        RevocationWatch(store),
        options.ping_seconds,
        llm_factory=options.llm_factory,
    )
    if settings.routines.run_in_server:
        from pa_cli.routines.runner import RoutineRunner
        from pa_cli.server.routine_loop import RoutineLoop

        runner = RoutineRunner(settings, store, registry, llm_factory=options.llm_factory)
        runtime.routines = RoutineLoop(runner, settings.routines.tick_seconds)
        runtime.routines.start()
    return runtime


async def get_runtime(request: Request) -> ServerRuntime:
    runtime: ServerRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[ServerRuntime, Depends(get_runtime)]

_bearer = HTTPBearer(auto_error=False, description="A token from `pa serve token create`.")


async def require_client(
    request: Request,
    runtime: Runtime,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> Principal:
    """The calling device; 401 with the JSON error body when the token is missing or not good.

    Runs on the event loop (no thread hop): one indexed read, and a write at most every few minutes.
    """
    principal = authenticate(runtime.store, runtime.signing_key, request.headers.get("authorization"))
    request.state.principal = principal
    return principal


Client = Annotated[Principal, Depends(require_client)]


_QUERY_NAMES: dict[int, frozenset[str]] = {}


def _query_names(dependant: Any) -> set[str]:
    names = {str(p.alias) for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def reject_unknown_query(request: Request) -> None:
    """422 for query parameters the route does not take (a typo should not be silently ignored)."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    allowed = _QUERY_NAMES.get(id(route))
    if allowed is None:
        allowed = _QUERY_NAMES[id(route)] = frozenset(_query_names(dependant))
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        names = ", ".join(repr(n[:40]) for n in unknown[:5])
        raise ApiError(422, "invalid_request", f"unknown query parameter(s): {names}")
