"""`pa config` through the real command: one-line errors, exit code 2, nothing lost."""

from __future__ import annotations

import json

from pa_cli.testing.fake_llm import FakeLLM
from tests.conftest import PaRunner


def test_config_set_then_get_round_trips(pa: PaRunner) -> None:
    assert pa("config", "set", "llm.provider", "openai").returncode == 0
    got = pa("config", "get", "llm.provider")
    assert (got.returncode, got.stdout.strip()) == (0, "openai")


def test_config_set_bad_value_is_one_line_exit_2_and_keeps_the_file(pa: PaRunner) -> None:
    pa("config", "set", "server.port", "9000")
    bad = pa("config", "set", "server.port", "not-a-port")
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: server.port")
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "Traceback" not in bad.stderr
    assert pa("config", "get", "server.port").stdout.strip() == "9000"


def test_config_unknown_key_is_a_usage_error(pa: PaRunner) -> None:
    bad = pa("config", "get", "no.such.key")
    assert bad.returncode == 2 and "unknown key" in bad.stderr


def test_config_show_masks_the_api_key(pa: PaRunner) -> None:
    shown = pa("config", "show", "--json", env={"PA_LLM_API_KEY": "sk-live-abcdef123456"})
    assert shown.returncode == 0
    assert "sk-live-abcdef123456" not in shown.stdout + shown.stderr
    assert json.loads(shown.stdout)["settings"]["llm"]["api_key"] == "********"


def test_unknown_command_exits_2(pa: PaRunner) -> None:
    assert pa("frobnicate").returncode == 2


def test_set_secret_keeps_the_key_out_of_config_and_pa_ask_uses_it(pa: PaRunner, fake_llm: FakeLLM) -> None:
    from pathlib import Path

    from tests.agent.scripts import thinking

    pa.extra_env.update({"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "pw"})
    stored = pa("config", "set-secret", "llm.api_key", input="sk-from-the-keyring-123\n")
    assert stored.returncode == 0, stored.stderr
    env = fake_llm.env("gemini")
    del env["PA_LLM_API_KEY"]
    pa.extra_env.update(env)
    fake_llm.reply_text(thinking("hello"))
    asked = pa("ask", "hi")
    assert asked.returncode == 0, asked.stderr
    assert fake_llm.last_request.api_key == "sk-from-the-keyring-123"
    home = Path(pa.env()["PA_HOME"])
    assert not any(b"sk-from-the-keyring-123" in p.read_bytes() for p in home.rglob("*") if p.is_file())


def test_set_secret_refuses_other_keys(pa: PaRunner) -> None:
    result = pa("config", "set-secret", "llm.model", input="x\n")
    assert result.returncode == 2 and "not a secret key" in result.stderr
