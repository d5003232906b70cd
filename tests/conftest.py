"""Shared fixtures. Area fixtures live in tests/fixtures/*.py, loaded as plugins."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.store",
    "tests.fixtures.secrets",
    "tests.fixtures.fake_llm",
    "tests.fixtures.fake_google",
    "tests.fixtures.tmux",
    "tests.fixtures.postgres",
]


def pytest_configure(config: pytest.Config) -> None:
    """Compile pa_cli's bytecode once, in the controlling process (not in each xdist worker).

    With PYTHONDONTWRITEBYTECODE set (as on CI) Python never caches it, and each of the suite's
    hundreds of `python -m pa_cli` subprocesses would compile the package from source. Installed
    packages get theirs from `uv sync` ([tool.uv] compile-bytecode in pyproject.toml)."""
    if hasattr(config, "workerinput"):
        return
    import compileall

    compileall.compile_dir(Path(__file__).resolve().parent.parent / "pa_cli", quiet=2)


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """`pytest -n 2` distributes by work stealing unless a `--dist` mode is asked for.

    xdist's default ("load") hands tests out one by one in turn, so nearly every module runs on both
    workers and pays its module-scoped set-up (a `pa serve`, Chromium, an authorized home) twice. Work
    stealing gives each worker one contiguous half of the collection (modules stay whole) and lets an
    idle worker take tests from the end of the other's queue, so the run does not end on one worker."""
    asked = [*config.invocation_params.args, *os.environ.get("PYTEST_ADDOPTS", "").split()]
    if config.getvalue("dist") != "load" or any(arg.startswith("--dist") for arg in asked):
        return None
    from xdist.scheduler import WorkStealingScheduling

    return WorkStealingScheduling(config, log)  # type: ignore[arg-type]


_PA_ENV_PREFIXES = ("PA_", "GEMINI_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "BAML_")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's pa configuration or keys; each gets its own PA_HOME."""
    for var in list(os.environ):
        if var.startswith(_PA_ENV_PREFIXES):
            monkeypatch.delenv(var, raising=False)
    # Never the developer's desktop keyring: tests that want a Secret Service use the `secret_service` fixture.
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("PA_HOME", str(tmp_path / "pa-home"))
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def pa_home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "pa-home"
    home.mkdir(exist_ok=True)
    yield home


class PaRunner:
    """Runs the real `pa` command in a subprocess with the test's environment (PA_HOME etc.)."""

    def __init__(self) -> None:
        self.extra_env: dict[str, str] = {}

    def env(self, **overrides: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.extra_env)
        env.update(overrides)
        return env

    def __call__(
        self,
        *args: str,
        input: str | None = None,
        timeout: float = 60,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pa_cli", *args],
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(**(env or {})),
            check=False,
        )


@pytest.fixture
def pa() -> PaRunner:
    return PaRunner()
