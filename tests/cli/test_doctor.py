"""`pa doctor` through the real command: each check, the exit code, --online, --json, and no secret shown."""

from __future__ import annotations

import json
import socket
import subprocess
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from pa_cli.store.migrate import head_revision
from pa_cli.testing.fake_llm import FakeLLM
from tests.conftest import PaRunner

if TYPE_CHECKING:
    from pa_cli.store import Store

SECRET = "sk-DOCTORLEAK-51c0ffee"
FILE_STORE = {"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "doctor passphrase (tests only)"}


def doctor(pa: PaRunner, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = pa("doctor", *args, env={**FILE_STORE, **(env or {})}, timeout=120)
    assert "Traceback" not in result.stderr and "unexpected failure" not in result.stderr
    return result


def checks(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in json.loads(result.stdout)}


@pytest.fixture
def working(fake_llm: FakeLLM) -> dict[str, str]:
    return {**fake_llm.env(api_key=SECRET)}


def test_a_fresh_home_cannot_answer_and_says_why(pa: PaRunner) -> None:
    result = doctor(pa)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    llm = next(line for line in lines if line.startswith("FAIL llm"))
    assert "no API key for the gemini provider: pa looked in GEMINI_API_KEY, PA_LLM_API_KEY" in llm
    assert "hint: store one with `pa config set-secret llm.api_key`, or set GEMINI_API_KEY" in result.stdout
    assert result.stderr.strip() == "pa cannot answer questions until this is fixed: llm"


def test_a_working_home_passes_without_contacting_the_llm(
    pa: PaRunner, fake_llm: FakeLLM, working: dict[str, str]
) -> None:
    result = doctor(pa, env=working)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert f"openai-generic, model fake-model, {fake_llm.openai_base_url}; API key from the environment" in (
        result.stdout
    )
    assert fake_llm.requests == []


def test_online_reports_the_latency_of_a_live_llm(
    pa: PaRunner, fake_llm: FakeLLM, working: dict[str, str]
) -> None:
    fake_llm.reply_text("ok")
    result = doctor(pa, "--online", "--json", env=working)
    assert result.returncode == 0, result.stdout + result.stderr
    online = checks(result)["llm.online"]
    assert online["ok"] is True
    assert online["detail"].startswith(f"{fake_llm.openai_base_url} answered in ")
    assert len(fake_llm.requests) == 1
    assert fake_llm.last_request.api_key == SECRET
    assert SECRET not in result.stdout + result.stderr


def test_online_names_a_dead_endpoint_and_fails(pa: PaRunner, working: dict[str, str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    result = doctor(pa, "--online", "--json", env={**working, "PA_LLM_BASE_URL": url})
    assert result.returncode == 1
    online = checks(result)["llm.online"]
    assert online == {
        "name": "llm.online",
        "ok": False,
        "detail": f"cannot connect to the LLM: connection refused at {url} (llm.base_url) (1 attempt)",
        "hint": "is the LLM server running? check llm.base_url (`pa config get llm.base_url`, PA_LLM_BASE_URL)",
    }
    offline = doctor(pa, "--json", env={**working, "PA_LLM_BASE_URL": url})
    assert offline.returncode == 0  # without --online nothing is sent, so nothing is known to be down
    assert "llm.online" not in checks(offline)


def test_json_has_one_object_per_check(pa: PaRunner, store: Store, working: dict[str, str]) -> None:
    result = doctor(pa, "--json", env=working)
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    assert [c["name"] for c in data] == [
        "pa",
        "config",
        "database",
        "secrets",
        "llm",
        "google",
        "google.gmail",
        "google.calendar",
        "google.contacts",
    ]
    for check in data:
        assert set(check) == {"name", "ok", "detail", "hint"}
        assert isinstance(check["ok"], bool) and isinstance(check["detail"], str) and check["detail"]
    assert checks(result)["database"]["detail"].endswith(f"schema {head_revision()} (current)")


def test_a_locked_secret_store_fails_and_names_the_passphrase(pa: PaRunner, fake_llm: FakeLLM) -> None:
    env = {k: v for k, v in fake_llm.env("gemini").items() if k != "PA_LLM_API_KEY"}
    stored = pa("config", "set-secret", "llm.api_key", input=SECRET + "\n", env={**env, **FILE_STORE})
    assert stored.returncode == 0, stored.stderr
    assert doctor(pa, env=env).returncode == 0  # the right passphrase: the stored key is found
    result = doctor(pa, "--json", env={**env, "PA_KEYRING_PASSPHRASE": "wrong"})
    assert result.returncode == 1
    found = checks(result)
    assert found["secrets"]["ok"] is False
    assert found["secrets"]["detail"].startswith("locked: cannot decrypt")
    assert "PA_KEYRING_PASSPHRASE" in found["secrets"]["detail"]
    assert found["llm"]["ok"] is False
    assert (
        ": the secret store is locked, so the stored API key cannot be read: cannot decrypt"
        in (found["llm"]["detail"])
    )
    assert "no API key" not in result.stdout
    assert SECRET not in result.stdout + result.stderr


def test_a_database_password_is_never_shown(pa: PaRunner, working: dict[str, str]) -> None:
    url = "postgresql+psycopg://u:S3cretPW@127.0.0.1:1/x"
    result = doctor(pa, "--json", env={**working, "PA_DATABASE_URL": url})
    database = checks(result)["database"]
    # The URL is shown (so a password in it would be seen), the host and user included...
    assert "postgresql+psycopg://u:***@127.0.0.1:1/x" in database["detail"]
    # ...but not the password, anywhere.
    assert "S3cretPW" not in result.stdout + result.stderr
    assert database["ok"] is False and result.returncode == 1
    assert SECRET not in result.stdout + result.stderr


def test_a_missing_database_driver_says_what_to_install(pa: PaRunner, working: dict[str, str]) -> None:
    result = doctor(pa, env={**working, "PA_DATABASE_URL": "postgresql+pg8000://u:S3cretPW@127.0.0.1:1/x"})
    assert result.returncode == 1
    assert (
        "FAIL database         the database driver pg8000 for postgresql+pg8000://u:***@127.0.0.1:1/x "
        "is not installed" in result.stdout
    )
    assert "S3cretPW" not in result.stdout + result.stderr


def test_google_services_show_authorization_scopes_and_expiry(
    pa: PaRunner, store: Store, working: dict[str, str]
) -> None:
    from pa_cli.google.scopes import GMAIL_COMPOSE, GMAIL_READONLY

    user = store.users.local_user()
    expiry = datetime.now(UTC) + timedelta(minutes=30)
    store.oauth_tokens.upsert(
        user.id, "google", "gmail", scopes=[GMAIL_READONLY, GMAIL_COMPOSE], expiry=expiry
    )
    found = checks(doctor(pa, "--json", env=working))
    gmail = found["google.gmail"]
    assert gmail["ok"] is False  # gmail.send and gmail.modify are not granted (gmail.mode = full needs them)
    assert gmail["detail"].startswith(
        "authorized; scopes: gmail.compose, gmail.readonly; access token valid until "
    )
    assert gmail["detail"].endswith("; missing: gmail.modify, gmail.send")
    assert gmail["hint"] == "pa tools authorize gmail"
    assert found["google.calendar"]["detail"] == "not authorized"
    assert found["google"]["detail"] == "no OAuth client configured: Gmail and Calendar tools are off"
