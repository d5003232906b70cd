"""After setup, authorization, refreshes, tool runs and revocation, no token is in any file or output."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pa_cli.google.client_config import setup_client
from pa_cli.google.credentials import load_credentials
from pa_cli.google.oauth import authorize, revoke
from pa_cli.google.runtime import call_google
from pa_cli.tools.google.calendar import CalendarCreateEvent, CalendarListEvents
from pa_cli.tools.google.gmail import GmailRead, GmailSearch, GmailSend
from tests.google.support import GoogleRig, browser_for, files_containing


def test_no_token_or_client_secret_is_written_to_any_file_or_printed(
    rig: GoogleRig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # Setup through the stored client (not the environment variable).
    source = rig.fake.client_secrets_json(tmp_path / "client_secret.json")
    monkeypatch.delenv("PA_GOOGLE_CLIENT_SECRETS")
    rig.reload({"user.timezone": "Europe/Berlin"})
    setup_client(rig.settings, rig.secrets, source)
    source.unlink()

    for service in ("gmail", "calendar"):
        on_url, _ = browser_for(rig.fake)
        authorize(
            rig.settings, rig.store, rig.secrets, rig.user_id, service, open_browser=False, on_url=on_url
        )
    rig.fake.expire_access_tokens()  # the next calls refresh on 401
    message = rig.fake.add_message("alice@example.com", "me@example.com", "Hello", "Hi there")
    rig.run(GmailSearch(), query="hello")
    rig.run(GmailRead(), message_id=message.id)
    rig.run(GmailSend(), to=["alice@example.com"], subject="x", body="y", reply_to_message_id=message.id)
    rig.run(CalendarCreateEvent(), summary="Call", start="2030-01-02T10:00", end="2030-01-02T11:00")
    rig.run(CalendarListEvents(), time_min="2030-01-01", time_max="2030-01-03")
    rig.fake.access_token_lifetime = 60
    rig.fake.expire_access_tokens()
    load_credentials(rig.settings, rig.store, rig.secrets, rig.user_id, "gmail")  # refresh before expiry

    with rig.fake.lock:
        tokens = [*rig.fake.oauth.refresh_tokens, *rig.fake.oauth.access_tokens]
    assert len(tokens) >= 6
    secrets = [*tokens, rig.fake.client_secret]
    assert files_containing(rig.home, secrets) == []
    revoke(rig.settings, rig.store, rig.secrets, rig.user_id, "gmail")
    assert files_containing(rig.home, secrets) == []
    assert sorted(p.name for p in rig.home.rglob("*") if p.is_file())  # there were files to look at
    out, err = capfd.readouterr()
    assert not any(secret in out or secret in err for secret in secrets)


async def test_google_calls_run_off_the_event_loop(rig: GoogleRig) -> None:
    rig.grant("gmail")
    ticks = 0
    main = threading.current_thread()

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    def slow_call(api: object) -> str:
        assert threading.current_thread() is not main
        time.sleep(0.3)
        return "done"

    task = asyncio.create_task(ticker())
    try:
        result = await call_google(rig.ctx(), "gmail", [], slow_call)
    finally:
        task.cancel()
    assert result == "done"
    assert ticks >= 10


def test_importing_the_google_modules_imports_no_google_library() -> None:
    code = (
        "import sys\n"
        "import pa_cli.google.oauth, pa_cli.google.credentials, pa_cli.google.services\n"
        "import pa_cli.tools.google.gmail, pa_cli.tools.google.calendar\n"
        "from pa_cli.tools.google import GOOGLE_TOOL_NAMES, google_tools\n"
        "names = sorted(tool.name for tool in google_tools())\n"
        "assert len(names) == 18 and names == sorted(GOOGLE_TOOL_NAMES), names\n"
        "heavy = ('google.', 'googleapiclient', 'google_auth', 'httplib2', 'oauthlib', 'requests', 'keyring')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
