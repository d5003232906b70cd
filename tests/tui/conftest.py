"""Fixtures for the chat TUI: a real AgentService on the test's PA_HOME, pointed at the scripted LLM."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from pa_cli.agent.service import AgentService
    from pa_cli.testing.fake_llm import FakeLLM
    from pa_cli.tui.app import ChatApp


def thinking(
    answer: str | None = None, tool_calls: list[dict[str, Any]] | None = None, thought: str = "ok"
) -> str:
    """The JSON a PersonalAssistantThinking reply is made of (the contract in DESIGN.md)."""
    return json.dumps({"thought": thought, "tool_calls": tool_calls or [], "answer": answer})


def call(tool: str, **arguments: Any) -> dict[str, Any]:
    return {"tool": tool, "arguments": arguments}


@pytest.fixture
def llm_env(fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> FakeLLM:
    """PA_LLM_* pointing at the scripted LLM (OpenAI-compatible)."""
    for name, value in fake_llm.env(model="fake").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PA_SECRET_BACKEND", "file")
    monkeypatch.setenv("PA_KEYRING_PASSPHRASE", "test-passphrase")
    return fake_llm


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Dotted settings for the service (as command-line flags would give); tests override this fixture."""
    return {}


@pytest.fixture
def service(settings_overrides: dict[str, Any]) -> Iterator[AgentService]:
    """An AgentService built as `pa chat` builds it (settings from the environment)."""
    from pa_cli.agent.service import AgentService
    from pa_cli.config import load_settings

    opened = AgentService.open(load_settings(settings_overrides))
    try:
        yield opened
    finally:
        opened.store.close()


@pytest.fixture
def agent(llm_env: FakeLLM, service: AgentService) -> AgentService:
    """The service, with the scripted LLM configured."""
    return service


@pytest.fixture
def make_app(service: AgentService) -> Callable[..., ChatApp]:
    from pa_cli.tui.app import ChatApp

    def make(**options: Any) -> ChatApp:
        options.setdefault("open_browser", False)
        return ChatApp(service, **options)

    return make


async def wait_until(pilot: Pilot[Any], predicate: Callable[[], object], within: float = 15.0) -> None:
    """Let the app run until ``predicate()`` holds (AssertionError after ``within`` seconds)."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {getattr(predicate, '__name__', 'a condition')}")
        await pilot.pause(0.02)
    await pilot.pause()


async def type_and_send(pilot: Pilot[Any], text: str) -> None:
    app: Any = pilot.app
    app.prompt.focus()
    app.prompt.load_text(text)
    await pilot.press("enter")
    await pilot.pause()
