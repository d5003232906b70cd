"""Gmail on the web page: a batch approval with a checkbox per message; the undo-send button."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pa_cli.testing.fake_google import FakeGoogle
from pa_cli.testing.fake_google.grants import grant_services
from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.server.support import API, LiveServer, issue, server_env, stream_events
from tests.server.web import answered, ask, pair

pytest_plugins = ["tests.server.browser"]
pytestmark = pytest.mark.slow


@pytest.fixture
def gmail_server(fake_google: FakeGoogle, fake_llm: FakeLLM, tmp_path: Path) -> Iterator[LiveServer]:
    secrets_file = fake_google.client_secrets_json(tmp_path / "client_secret.json")
    env = server_env(tmp_path / "home", fake_llm.env(), **fake_google.env(secrets_file))
    grant_services(env, fake_google, ["gmail"])
    config = [sys.executable, "-m", "pa_cli", "config", "set", "gmail.undo_seconds", "600"]
    assert subprocess.run(config, env=env, capture_output=True, check=False).returncode == 0
    live = LiveServer.start(env)
    live.token, live.client_id = issue(env)
    try:
        yield live
    finally:
        live.stop()


def test_unticked_messages_are_left_out_of_the_approved_batch(
    page: Page, gmail_server: LiveServer, fake_google: FakeGoogle, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    start = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    ids = [
        fake_google.add_message(f"n{i}@letters.example", "me@example.com", f"Digest {i}", "x", date=start).id
        for i in range(5)
    ]
    fake_llm.reply_text(thinking(None, ("gmail_modify", {"message_ids": ids, "action": "mark_read"})))
    fake_llm.reply_text(thinking("Marked them read."))
    pair(page, gmail_server)
    ask(page, "mark the digests read")
    card = page.locator("#log .approval")
    expect(card).to_be_visible(timeout=30_000)
    boxes = card.locator(".choices input[type=checkbox]")
    expect(boxes).to_have_count(5)
    expect(card.locator(".choice").first).to_contain_text("n0@letters.example | Digest 0")
    boxes.nth(1).uncheck()
    boxes.nth(3).uncheck()
    page.screenshot(path=str(tmp_path / "batch-approval.png"))  # what a person saw, kept with the test
    card.locator("button.approve").click()
    answered(page, timeout=30_000)
    expect(page.locator("#log .msg.assistant").last).to_contain_text("Marked them read.")
    read = [i for i in ids if "UNREAD" not in fake_google.message(i).label_ids]
    assert read == [ids[0], ids[2], ids[4]]
    assert all("UNREAD" in fake_google.message(i).label_ids for i in (ids[1], ids[3]))


def test_the_undo_button_takes_back_an_approved_send(
    page: Page, gmail_server: LiveServer, fake_google: FakeGoogle, fake_llm: FakeLLM
) -> None:
    mail = {"to": ["priya@example.com"], "subject": "Notes", "body": "The notes."}
    fake_llm.reply_text(thinking(None, ("gmail_send", mail)))
    fake_llm.reply_text(thinking("It goes out in ten minutes unless you undo it."))
    pair(page, gmail_server)
    ask(page, "email Priya the notes")
    card = page.locator("#log .approval")
    expect(card).to_be_visible(timeout=30_000)
    card.locator("button.approve").click()
    undo = page.locator("#log button.undo-send")
    expect(undo).to_be_visible(timeout=30_000)
    undo.click()
    expect(page.locator("#log .undone")).to_contain_text("undone (to priya@example.com: Notes), not sent")
    # Cancelled in the outbox: no sender can claim it any more (claims move only pending items).
    with closing(sqlite3.connect(next(Path(gmail_server.env["PA_HOME"]).rglob("pa.db")))) as db:
        assert db.execute("SELECT status FROM outbox").fetchall() == [("cancelled",)]
    assert fake_google.sent == []


def _schedule(live: LiveServer, fake_llm: FakeLLM, subject: str, send_at: datetime) -> None:
    """A turn over HTTP asks to send a mail at ``send_at``; the approval is granted over HTTP."""
    mail = {
        "to": ["sam@example.com"],
        "subject": subject,
        "body": "Scheduled.",
        "send_at": send_at.isoformat(),
    }
    fake_llm.reply_text(thinking(None, ("gmail_send", mail)))
    fake_llm.reply_text(thinking("Scheduled."))
    with live.client() as http:
        events = stream_events(http, f"{API}/chat/stream", {"message": f"send Sam {subject} later"})
        approval_id = next(e.data["id"] for e in events if e.event == "approval_required")
        done = stream_events(http, f"{API}/approvals/{approval_id}", {"approve": True})
        assert done[-1].event == "done", done[-1]


def _sent_subjects(fake: FakeGoogle, count: int) -> list[str]:
    """The subjects sent, once at least ``count`` mails went out (or 90 s passed)."""
    deadline = time.monotonic() + 90
    while len(fake.sent) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return [m.subject for m in fake.sent]


def test_pa_serve_sends_a_scheduled_mail_when_it_is_due(
    gmail_server: LiveServer, fake_google: FakeGoogle, fake_llm: FakeLLM
) -> None:
    """Held in the outbox while its time is ahead; sent once by `pa serve`'s background sender when due.

    The mail is scheduled a day ahead on the real clock; then `pa serve` runs again on the same home
    with the test clock (PA_TEST_NOW) past that time, instead of the test waiting for it. A second mail,
    approved after the first went out and also due by then, goes out at a later flush: once it is seen,
    later flushes have run and the first was still sent only once."""
    due = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    _schedule(gmail_server, fake_llm, "Later", due)
    assert fake_google.sent == []  # held in the outbox until its time
    gmail_server.stop()

    clock = {"PA_TEST_NOW": (due + timedelta(minutes=5)).isoformat()}
    later = LiveServer.start({**gmail_server.env, **clock})
    try:
        assert _sent_subjects(fake_google, 1) == ["Later"]
        assert fake_google.sent[0].to == ["sam@example.com"]
        _schedule(later, fake_llm, "Marker", due + timedelta(minutes=1))
        assert _sent_subjects(fake_google, 2) == ["Later", "Marker"]
    finally:
        later.stop()
