"""Fixtures for the server tests: a live `pa serve` against the scripted LLM.

Starting `pa serve` takes about two seconds, so each test module shares one server
(``server``) and one scripted LLM (``fake_llm``, emptied before every test); every
test gets a token of its own (its own device, so its own rate-limit budget).
Tests that stop the server or read its whole log take ``own_server``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pa_cli.config import Settings, load_settings
from pa_cli.testing.fake_llm import FakeLLM
from tests.server.support import LiveServer, issue, server_env


@pytest.fixture(scope="module")
def _shared_llm() -> Iterator[FakeLLM]:
    with FakeLLM() as fake:
        yield fake


@pytest.fixture
def fake_llm(_shared_llm: FakeLLM) -> FakeLLM:
    """The module's scripted LLM, with no replies queued and no requests recorded."""
    _shared_llm.reset()
    return _shared_llm


@pytest.fixture(scope="module")
def _shared_server(_shared_llm: FakeLLM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer.start(server_env(tmp_path_factory.mktemp("shared-server"), _shared_llm.env()))
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def server(_shared_server: LiveServer, fake_llm: FakeLLM) -> LiveServer:
    """The module's `pa serve`, with a fresh token (a new device) for this test."""
    _shared_server.token, _shared_server.client_id = issue(_shared_server.env)
    return _shared_server


@pytest.fixture
def env(fake_llm: FakeLLM, tmp_path: Path) -> dict[str, str]:
    """The environment of a `pa serve` subprocess: its own home, the fake LLM, the file secret store."""
    return server_env(tmp_path / "server-home", fake_llm.env())


@pytest.fixture
def own_server(env: dict[str, str]) -> Iterator[LiveServer]:
    """A `pa serve` for this test alone."""
    live = LiveServer.start(env)
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def local_settings(
    fake_llm: FakeLLM, file_secret_store_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Settings of this process (its PA_HOME) pointed at the fake LLM: for an in-process ``ThreadedServer``."""
    for name, value in fake_llm.env().items():
        monkeypatch.setenv(name, value)
    return load_settings()
