"""Undo send and scheduled send through the real `pa`, against the fake Google.

An approved gmail_send waits in the outbox for gmail.undo_seconds: a detached `pa outbox send`
process sends it when the window ends, `pa undo` takes it back before. A send_at mail waits until
its time and goes out through `pa outbox flush` (or `pa serve`), exactly once however many flush.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from pa_cli.testing.fake_google import FakeGoogle
from tests.conftest import PaRunner
from tests.google.test_calendar_cli_e2e import run_tool
from tests.google.test_cli_e2e import authorize, google  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]
MAIL = {"to": ["priya@example.com"], "subject": "Notes", "body": "The notes from today."}


@pytest.fixture
def mail(pa: PaRunner, google: FakeGoogle) -> FakeGoogle:  # noqa: F811
    authorize(pa, google, "gmail")
    return google


def wait_for(check: Callable[[], bool], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def outbox(pa: PaRunner) -> list[dict[str, object]]:
    listed = pa("outbox", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return list(json.loads(listed.stdout))


def test_a_send_undone_within_the_window_never_reaches_google(pa: PaRunner, mail: FakeGoogle) -> None:
    assert pa("config", "set", "gmail.undo_seconds", "600").returncode == 0
    approval, _ = run_tool(pa, "gmail_send", MAIL)
    approved = pa("approve", approval, "--json")
    assert approved.returncode == 0, approved.stderr
    assert "sending in 600 s" in json.loads(approved.stdout)["response"]
    assert [i["status"] for i in outbox(pa)] == ["pending"]
    undone = pa("undo")
    assert undone.returncode == 0, undone.stderr
    assert "undone: to priya@example.com: Notes (not sent)" in undone.stdout
    assert [i["status"] for i in outbox(pa)] == ["cancelled"]
    time.sleep(1.5)  # the detached sender sees the undo and exits without sending
    assert mail.sent == []
    assert not [r for r in mail.api_requests if r.path.endswith("/messages/send")]
    again = pa("undo")
    assert again.returncode != 0 and "nothing to undo" in again.stderr


def test_a_send_goes_out_once_after_the_window(pa: PaRunner, mail: FakeGoogle) -> None:
    assert pa("config", "set", "gmail.undo_seconds", "2").returncode == 0
    approval, _ = run_tool(pa, "gmail_send", MAIL)
    assert pa("approve", approval).returncode == 0
    assert mail.sent == []  # still in its window when `pa approve` returned
    assert wait_for(lambda: len(mail.sent) == 1)  # the detached sender, after `pa approve` exited
    assert [(m.to, m.subject) for m in mail.sent] == [(["priya@example.com"], "Notes")]
    assert pa("outbox", "flush").stdout.strip() == "sent 0, failed 0"
    too_late = pa("undo")
    assert too_late.returncode != 0 and "nothing to undo" in too_late.stderr
    time.sleep(1)
    assert len(mail.sent) == 1 and [i["status"] for i in outbox(pa)] == ["sent"]


def test_a_scheduled_send_waits_for_its_time_and_two_flushes_send_it_once(
    pa: PaRunner, mail: FakeGoogle
) -> None:
    send_at = (datetime.now(UTC) + timedelta(seconds=60)).replace(microsecond=0)
    approval, preview = run_tool(pa, "gmail_send", {**MAIL, "send_at": send_at.isoformat()})
    assert "Scheduled:" in preview and "held in the outbox until then" in preview
    assert pa("approve", approval).returncode == 0
    assert pa("outbox", "flush").stdout.strip() == "sent 0, failed 0"  # not yet due (the real clock)
    just_before = (send_at - timedelta(seconds=1)).isoformat()
    assert pa("outbox", "flush", env={"PA_TEST_NOW": just_before}).stdout.strip() == "sent 0, failed 0"
    assert mail.sent == []
    # Its time has come: the outbox's clock (PA_TEST_NOW, the test hook) says so without a minute's wait.
    after = {"PA_TEST_NOW": (send_at + timedelta(seconds=1)).isoformat()}
    flushes = [
        subprocess.Popen(
            [sys.executable, "-m", "pa_cli", "outbox", "flush"],
            env=pa.env(**after),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = sorted(p.communicate(timeout=120)[0].strip() for p in flushes)
    assert outputs == ["sent 0, failed 0", "sent 1, failed 0"]  # one claim won
    assert len(mail.sent) == 1


def test_a_send_at_in_the_past_is_refused_before_approval(pa: PaRunner, mail: FakeGoogle) -> None:
    result = pa("tools", "run", "gmail_send", "--args", json.dumps({**MAIL, "send_at": "2020-01-01T09:00"}))
    assert result.returncode != 0 and result.returncode != 4
    assert "in the past" in result.stderr + result.stdout
    assert outbox(pa) == []
