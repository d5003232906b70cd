"""`pa ask`'s first LLM request, sent before the rest of pa loads, then adopted or thrown away.

The model's wait is usually the longest part of a question; Python, Typer, pydantic, the settings,
the tool catalog and BAML took about half a second before the request could even start. So
``start`` (called by ``pa_cli.__main__`` before anything else is imported) fills a cached rendering
of the request (``ahead_template``) with this turn's message, clock, piped text and recalled facts,
and sends it on a thread (``ahead_http``). The rest of pa loads meanwhile, and BAML renders the same
turn as always: ``adopt`` hands over the request in flight only if it is byte for byte the one BAML
rendered; otherwise it is closed, its template dropped, and BAML's request is sent as before. A
wrong template costs one request thrown away, never a different answer.

Only a new conversation (no ``-c``/``--session``) with plain options (``cli.ask_fast``) is sent ahead, only when the
cache was written for exactly this configuration (``ahead_fingerprint``), and never under PA_DEBUG,
a proxy or with a key that only a prompt could unlock. After a turn that was not sent ahead,
``capture`` renders the template for the next one.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pa_cli.agent.ahead_cache import drop_template, read_cache, save_template
from pa_cli.agent.ahead_http import AheadExchange
from pa_cli.agent.ahead_template import Template, marker, same_request, template_of

if TYPE_CHECKING:
    from pa_cli.agent.llm_http import Rendered
    from pa_cli.config import Settings
    from pa_cli.paths import AppPaths
    from pa_cli.store.fts import RecalledMemory
    from pa_cli.store.light import LightReader

THINKING = "PersonalAssistantThinking"


class _Ahead:
    """What this process sent ahead, or would have: one turn, the first request of it.

    (A plain class: ``dataclasses`` imports ``inspect``, ~10 ms before the request.)"""

    def __init__(self) -> None:
        #: The turn's clock reading, for its first step (the request was filled with it).
        self.started_at: datetime | None = None
        self.exchange: AheadExchange | None = None
        #: The shape of the turn (which values it has), naming its template.
        self.shape: str | None = None
        #: The environment and files the cache was keyed on, for ``capture`` (None: nothing to write).
        self.static_key: str | None = None
        #: Why nothing was sent ahead: None when it was.
        self.skipped: str | None = "not started"


_state = _Ahead()


def state() -> _Ahead:
    return _state


def reset() -> None:
    """Forget this process's request ahead (closing it if in flight)."""
    global _state
    if _state.exchange is not None:
        _state.exchange.abort()
    _state = _Ahead()


# ---------------------------------------------------------------------------------------- start


def start(text: str, env: Mapping[str, str] | None = None) -> None:
    """Send the request of `pa ask TEXT` (plain options only: ``cli.ask_fast``) ahead when the cache
    allows it; "" when the question comes from piped stdin. Never raises."""
    reset()
    environ = os.environ if env is None else env
    try:
        _state.skipped = _start(text, environ)
    except Exception as exc:  # an optimisation only: any surprise leaves pa ask as it was
        _state.skipped = f"failed: {type(exc).__name__}"
        if _state.exchange is not None:
            _state.exchange.abort()
            _state.exchange = None


def _start(text: str, env: Mapping[str, str]) -> str | None:
    from pa_cli.agent.ahead_fingerprint import static_key
    from pa_cli.paths import app_paths

    if env.get("PA_DEBUG") == "1":
        return "PA_DEBUG"
    if any(name.lower().endswith("_proxy") for name in env):
        return "a proxy is set"
    from pa_cli.piped_stdin import MAX_STDIN_CONTEXT, read_and_keep

    piped = read_and_keep()
    if piped is not None and len(piped) > MAX_STDIN_CONTEXT:
        return "piped input too large"
    attached = piped if piped is not None and piped.strip() else None
    if not text.strip():
        if attached is None:
            return "nothing to ask"
        text, attached = attached, None
    paths = app_paths(dict(env))
    _state.static_key = static_key(env, paths)
    cache = read_cache(paths)
    if cache is None or cache.get("static") != _state.static_key:
        return "no cache for this configuration"
    return _send(cache, paths, env, text, attached)


def _send(
    cache: dict[str, Any], paths: AppPaths, env: Mapping[str, str], text: str, attached: str | None
) -> str | None:
    from pa_cli.agent.prompt_text import attached_text, describe_now, neutralize, user_message_text
    from pa_cli.store.light import LightReader

    opened = LightReader.open_local(f"sqlite:///{cache['database']}", str(cache["head"]))
    if opened is None:
        return "database not readable here"
    reader, user_id = opened
    try:
        if db_key(reader, user_id) != cache.get("db"):
            return "the stored configuration changed"
        memories = _recall(reader, user_id, text, cache["memory"])
    except (sqlite3.Error, ValueError):
        return "database not readable here"
    shape = shape_of([m.taint is not None for m in memories], attached is not None)
    template = Template.from_json(cache["templates"].get(shape))
    if template is None:
        return f"no template for {shape}"
    now = datetime.now(UTC)
    today, iso_now = describe_now(now, str(cache["timezone"]))
    values = {"MESSAGE": user_message_text(text), "TODAY": today, "NOW": iso_now}
    if attached is not None:
        values["ATTACHED"] = attached_text(attached)
    for i, memory in enumerate(memories):
        values[f"MEMID{i}"] = memory.id
        values[f"MEMTEXT{i}"] = neutralize(memory.text)
    found, key = early_key(str(cache["provider"]), env, paths)
    if not found:
        return "the API key needs the CLI"
    try:
        request = template.fill(values, key)
    except KeyError:
        return "template does not fit"
    _state.exchange = AheadExchange(request, float(cache["connect_timeout"]))
    _state.started_at = now
    _state.shape = shape
    _state.static_key = None  # nothing to capture: the template is there
    return None


def _recall(reader: LightReader, user_id: int, text: str, memory: Any) -> list[RecalledMemory]:
    from pa_cli.memory.recall import within_budget
    from pa_cli.memory.words import key_words

    enabled, limit = bool(memory["enabled"]), int(memory["recall_limit"])
    if not enabled or limit <= 0:
        return []
    return within_budget(reader.recall(user_id, key_words(text)), limit)


def shape_of(untrusted_memories: Sequence[bool], attached: bool) -> str:
    """Which values a turn has: "m" and one letter per recalled fact (t: trusted, u: not), "a" if attached."""
    return "m" + "".join("u" if u else "t" for u in untrusted_memories) + ("a" if attached else "")


def db_key(reader: LightReader, user_id: int) -> str:
    """What the stored configuration adds to the prompt: system prompt, enabled tools, Google grants."""
    from pa_cli.agent.ahead_fingerprint import digest
    from pa_cli.google.scopes import PROVIDER

    config = reader.agent_config(user_id)
    grants = reader.scopes_by_service(user_id, PROVIDER)
    facts = [
        user_id,
        config.system_prompt,
        config.enabled_tools,
        sorted((s, sorted(g)) for s, g in grants.items()),
    ]
    return digest(facts)


def early_key(provider: str, env: Mapping[str, str], paths: AppPaths) -> tuple[bool, str | None]:
    """(found, key) as ``llm_keys.lookup_api_key`` finds it, without a prompt: (False, None) when it
    cannot be had that way (a locked store, nothing stored)."""
    from pa_cli.config_keys import KEYLESS_PROVIDERS, KEYRING_NAME, PROVIDER_KEY_ENV

    variable = PROVIDER_KEY_ENV.get(provider)
    key = env.get("PA_LLM_API_KEY") or (env.get(variable) if variable else None)
    if key:
        return True, key
    if provider in KEYLESS_PROVIDERS:
        return True, None
    from pa_cli.secrets import open_secret_store

    try:
        stored = open_secret_store(paths, env, interactive=False, notice=False).get(KEYRING_NAME)
    except Exception:  # locked, missing passphrase: the CLI says so, with its hint
        return False, None
    return (True, stored) if stored else (False, None)


# ---------------------------------------------------------------------------------------- the turn


def take_started_at() -> datetime | None:
    """The clock reading the request ahead was filled with, once: the turn's first step uses it."""
    started, _state.started_at = _state.started_at, None
    return started


def adopt(function: str, method: str, url: str, headers: dict[str, str], body: bytes) -> AheadExchange | None:
    """The request in flight if it is exactly this one (then it is handed over, once); else None.

    A request ahead that is not this one is closed, and its template dropped."""
    exchange, _state.exchange = _state.exchange, None
    if exchange is None:
        return None
    if function == THINKING and same_request(exchange.request, method, url, headers, body):
        return exchange
    exchange.abort()
    if function == THINKING and _state.shape is not None:
        drop_template(_state.shape)
    return None


async def keep(
    settings: Settings,
    function: str,
    arguments: dict[str, Any],
    options: dict[str, Any],
    rendered: Rendered,
    api_key: str | None,
) -> None:
    """After a request BAML rendered (``function`` with ``arguments`` and ``options``) was answered:
    keep its template for the next `pa ask`, if this process is to (``capture``). Never raises: a
    cache for speed must not cost the answer."""
    if _state.static_key is None:
        return
    from pa_cli.agent.baml_load import load_baml
    from pa_cli.agent.llm_http import Rendered

    baml = load_baml()

    async def render(turn: Any) -> tuple[str, str, dict[str, str], bytes]:
        request = await getattr(baml.b.stream_request, function)(
            **{**arguments, "turn": turn}, baml_options=options
        )
        again = Rendered.from_baml(request)
        return again.method, again.url, again.headers, again.body

    real = (rendered.method, rendered.url, rendered.headers, rendered.body)
    try:
        await capture(settings, function, arguments.get("turn"), api_key, real, render)
    except Exception as exc:
        _state.static_key = None
        _state.skipped = f"template not kept: {type(exc).__name__}"


async def capture(
    settings: Settings,
    function: str,
    turn: Any,
    api_key: str | None,
    real: tuple[str, str, dict[str, str], bytes],
    render: Callable[[Any], Awaitable[tuple[str, str, dict[str, str], bytes]]],
) -> None:
    """After a first request that was not sent ahead: keep its template for the next `pa ask`.

    ``turn`` is the BAML TurnInput that was rendered as ``real`` (method, url, headers, body);
    ``render`` renders another TurnInput the same way. Kept only when the template, filled with this
    turn's values, gives back ``real`` exactly."""
    static, _state.static_key = _state.static_key, None
    if static is None or function != THINKING:
        return
    if turn.history or turn.plan or turn.tool_outcomes or turn.feedback:
        return
    facts = _settings_facts(settings, api_key)
    if facts is None:
        return
    made = await template_for(turn, api_key, render)
    if made is None:
        return
    template, values, shape = made
    try:
        filled = template.fill(values, api_key)
    except KeyError:
        return
    if not same_request(filled, *real):
        return  # substitution would not reproduce BAML here: never send it ahead
    save_template(settings, static, facts, shape, template)


async def template_for(
    turn: Any, api_key: str | None, render: Callable[[Any], Awaitable[tuple[str, str, dict[str, str], bytes]]]
) -> tuple[Template, dict[str, str], str] | None:
    """The template of ``turn``'s request (rendered with markers), ``turn``'s own values and its shape."""
    values = {"MESSAGE": turn.user_message, "TODAY": turn.today, "NOW": turn.now}
    update: dict[str, Any] = {
        "user_message": marker("MESSAGE"),
        "today": marker("TODAY"),
        "now": marker("NOW"),
    }
    if turn.attached_context is not None:
        values["ATTACHED"] = turn.attached_context
        update["attached_context"] = marker("ATTACHED")
    memories = list(turn.memories or [])
    if memories:
        update["memories"] = [
            m.model_copy(update={"id": marker(f"MEMID{i}"), "text": marker(f"MEMTEXT{i}")})
            for i, m in enumerate(memories)
        ]
        for i, m in enumerate(memories):
            values[f"MEMID{i}"], values[f"MEMTEXT{i}"] = m.id, m.text
    method, url, headers, body = await render(turn.model_copy(update=update))
    template = template_of(method, url, headers, body, api_key)
    if template is None:
        return None
    shape = shape_of([bool(m.untrusted) for m in memories], turn.attached_context is not None)
    return template, values, shape


def _settings_facts(settings: Settings, api_key: str | None) -> dict[str, Any] | None:
    """What ``start`` needs from the settings, or None when this configuration is not sent ahead."""
    from pa_cli.store.light import LightReader, sqlite_path_of
    from pa_cli.store.migrate import head_revision

    database = sqlite_path_of(settings.database_url)
    head = head_revision()
    if database is None or head is None or settings.paths is None:
        return None
    if early_key(settings.llm.provider, os.environ, settings.paths) != (True, api_key):
        return None  # the key comes from somewhere start() would not look
    opened = LightReader.open_local(settings.database_url, head)
    if opened is None:
        return None
    reader, user_id = opened
    from pa_cli.agent.context import user_timezone

    return {
        "database": str(database),
        "head": head,
        "db": db_key(reader, user_id),
        "timezone": user_timezone(settings).key,
        "memory": {"enabled": settings.memory.enabled, "recall_limit": settings.memory.recall_limit},
        "provider": settings.llm.provider,
        "connect_timeout": settings.llm.connect_timeout_seconds,
    }


__all__ = ["adopt", "capture", "keep", "reset", "start", "state", "take_started_at"]
