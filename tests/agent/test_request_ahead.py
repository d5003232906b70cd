"""What is not sent ahead says why, and a cache that cannot be used never breaks pa ask.

In process: ``request_ahead.start`` decides from the environment and the cache file, and never
raises (which argv are plain enough to be sent ahead is tests/cli/test_ask_fast.py). The end-to-end behaviour (a request sent ahead, adopted or thrown away) is in
tests/cli/test_ask_ahead.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pa_cli import piped_stdin
from pa_cli.agent import request_ahead
from pa_cli.agent.request_ahead import shape_of


def test_shapes_name_the_values_a_turn_has() -> None:
    assert shape_of([], attached=False) == "m"
    assert shape_of([False, True], attached=True) == "mtua"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(piped_stdin, "_read", lambda: None)
    yield tmp_path
    request_ahead.reset()


def _env(home: Path, **extra: str) -> dict[str, str]:
    return {"PA_HOME": str(home), "PA_LLM_PROVIDER": "openai-generic", **extra}


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"PA_DEBUG": "1"}, "PA_DEBUG"),
        ({"HTTPS_PROXY": "http://proxy:3128"}, "a proxy is set"),
        ({"no_proxy": "localhost"}, "a proxy is set"),
        ({}, "no cache for this configuration"),
    ],
)
def test_what_is_not_sent_ahead_says_why(home: Path, extra: dict[str, str], reason: str) -> None:
    request_ahead.start("hi", _env(home, **extra))
    assert request_ahead.state().skipped == reason
    assert request_ahead.state().exchange is None


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        '{"format": 1}',
        '{"format": 1, "templates": {}, "static": "x"}',
        '{"format": 99, "templates": {}}',
        "[1, 2, 3]",
    ],
)
def test_a_cache_file_that_cannot_be_used_is_ignored(home: Path, content: str) -> None:
    cache = home / "cache" / "request-ahead.json"
    cache.parent.mkdir(parents=True)
    cache.write_text(content)
    cache.chmod(0o600)
    request_ahead.start("hi", _env(home))
    assert request_ahead.state().skipped == "no cache for this configuration"


def test_a_cache_that_matches_but_is_broken_inside_never_raises(home: Path) -> None:
    """The right key, but a database that is not there and templates of the wrong type: skipped, no error."""
    from pa_cli.agent.ahead_fingerprint import static_key
    from pa_cli.paths import app_paths

    env = _env(home)
    key = static_key(env, app_paths(env))
    cache = home / "cache" / "request-ahead.json"
    cache.parent.mkdir(parents=True)
    for inside in ['"database": "/nowhere/pa.db", "head": "0009"', '"database": 7']:
        cache.write_text(f'{{"format": 1, "static": "{key}", "templates": {{"m": 5}}, {inside}}}')
        cache.chmod(0o600)
        request_ahead.start("hi", env)
        skipped = request_ahead.state().skipped
        assert skipped is not None and skipped != "no cache for this configuration", skipped
        assert request_ahead.state().exchange is None
