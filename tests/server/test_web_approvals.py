"""Approvals on the web page: this conversation's in place, the others under "Waiting for you".

The page used to open on every pending approval as if it belonged to the conversation on screen,
so an approval from an unrelated old session looked like a question about the current one.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlmodel import Session

from pa_cli.config import load_settings
from pa_cli.store import open_store
from pa_cli.store.models import Approval
from pa_cli.store.types import utcnow
from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.server.support import API, LiveServer, stream_events
from tests.server.web import answered, ask, pair

pytest_plugins = ["tests.server.browser"]  # the browser and page fixtures

OLD_QUESTION = "remember that I water the plants on Sundays"
NEW_QUESTION = "from now on answer like a pirate"


def _old_session_approval(
    server: LiveServer,
    fake_llm: FakeLLM,
    question: str = OLD_QUESTION,
    text: str = "Plants: water on Sundays.",
) -> tuple[str, str]:
    """Another device asked for a side effect two hours ago: (approval id, session id)."""
    fake_llm.reply_text(thinking(None, ("system_prompt_update", {"text": text})))
    with server.client() as http:
        events = stream_events(http, f"{API}/chat/stream", {"message": question})
    approval_id = next(e.data["id"] for e in events if e.event == "approval_required")
    session_id = events[-1].data["session_id"]
    with open_store(load_settings(environ=server.env)) as store, Session(store.engine) as db:
        approval = db.get(Approval, approval_id)
        assert approval is not None
        approval.created_at = utcnow() - timedelta(hours=2, minutes=5)
        db.add(approval)
        db.commit()
    return approval_id, session_id


def _log_order(page: Page) -> list[str]:
    """The conversation as a list: 'user: ...', 'approval: <id>', 'assistant', 'tool'."""
    order: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('#log > li')].map((li) => {
            const card = li.querySelector('.approval');
            if (card) return 'approval: ' + card.dataset.id;
            if (li.classList.contains('user')) return 'user: ' + li.textContent;
            return li.classList.contains('tool') ? 'tool' : 'assistant';
        })"""
    )
    return order


def test_this_conversations_approval_is_in_place_and_an_old_one_waits_in_the_list(
    page: Page, server: LiveServer, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    old_id, old_session = _old_session_approval(server, fake_llm)
    pair(page, server)

    # A new conversation: the old approval is not in it, only in "Waiting for you".
    waiting = page.locator("#waiting")
    expect(waiting).to_be_visible()
    old_item = waiting.locator(f'.waiting-item[data-id="{old_id}"]')
    expect(old_item.locator(".tool-name")).to_have_text("system_prompt_update")
    expect(old_item.locator(".where")).to_have_text(f"in “{OLD_QUESTION}” · 2 hours ago")
    expect(page.locator("#log .approval")).to_have_count(0)

    fake_llm.reply_text(thinking(None, ("system_prompt_update", {"text": "Talk like a pirate."})))
    ask(page, NEW_QUESTION)
    answered(page)
    card = page.locator("#log .approval")
    expect(card).to_have_count(1)
    expect(card.locator(".preview")).to_contain_text("Talk like a pirate.")
    expect(card.locator("button.approve")).to_be_visible()
    expect(card.locator("button.deny")).to_be_visible()
    new_id = card.get_attribute("data-id")
    assert new_id and new_id != old_id
    expect(page.locator(f'#waiting [data-id="{new_id}"]')).to_have_count(0)
    expect(old_item).to_have_count(1)
    shot = tmp_path / "approval.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

    # Opened again: the approval is where it was asked, after the question; the old one still apart.
    page.reload()
    expect(page.locator("#log .approval")).to_have_count(1)
    assert _log_order(page) == [f"user: {NEW_QUESTION}", f"approval: {new_id}"]
    expect(page.locator(f'#log [data-id="{old_id}"]')).to_have_count(0)
    expect(page.locator(f'#waiting .waiting-item[data-id="{old_id}"]')).to_have_count(1)

    # Opening the old one shows its own conversation, with it in place; the new one now waits.
    page.locator(f'#waiting .waiting-item[data-id="{old_id}"] button.open').click()
    expect(page.locator("#log .msg.user")).to_have_text([OLD_QUESTION])
    assert _log_order(page) == [f"user: {OLD_QUESTION}", f"approval: {old_id}"]
    expect(page.locator(f'#waiting .waiting-item[data-id="{new_id}"]')).to_have_count(1)
    expect(page.locator(f'#waiting [data-id="{old_id}"]')).to_have_count(0)
    assert page.evaluate("() => localStorage.getItem('pa.session')") == old_session

    # Deciding it in place takes it off every list.
    fake_llm.reply_text(thinking("Noted, I left it as it was."))
    page.locator(f'#log .approval[data-id="{old_id}"] button.deny').click()
    expect(page.locator("#log .msg.assistant .text").last).to_have_text("Noted, I left it as it was.")
    with server.client() as http:
        pending = [a["id"] for a in http.get(f"{API}/approvals").json()["approvals"]]
    assert old_id not in pending
    expect(page.locator(f'#waiting [data-id="{old_id}"]')).to_have_count(0)
    expect(page.locator(f'#waiting .waiting-item[data-id="{new_id}"]')).to_have_count(1)


ATTACK = '<img src=x onerror="window.__pwned = 1"><script>window.__pwned = 2</script>'
INJECTED = "#chat script, #chat img, #chat iframe, #chat [onerror]"


def test_html_in_a_preview_or_a_conversation_title_stays_text(
    page: Page, server: LiveServer, fake_llm: FakeLLM
) -> None:
    question = '<img src=x onerror="window.__pwned=3"> <b>note</b>'  # short enough to be the whole title
    approval_id, _ = _old_session_approval(server, fake_llm, question=question, text=f"{ATTACK}\n<tool>")
    pair(page, server)
    item = page.locator(f'#waiting .waiting-item[data-id="{approval_id}"]')
    expect(item.locator(".where")).to_have_text(f"in “{question}” · 2 hours ago")
    item.locator("button.open").click()
    card = page.locator(f'#log .approval[data-id="{approval_id}"]')
    expect(card.locator(".preview")).to_contain_text(f"{ATTACK}\n<tool>")
    expect(page.locator("#log .msg.user")).to_have_text([question])
    assert page.locator(INJECTED).count() == 0
    assert page.locator("#chat b, #chat tool").count() == 0
    assert page.evaluate("() => window.__pwned") is None
