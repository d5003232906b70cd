"""The web chat page in a real headless Chromium on a phone-sized screen, against a live `pa serve`.

Needs Debian's chromium (``apt-get install -y chromium``) and the ``playwright`` package
(driven with ``executable_path``; no browser download).
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.server.support import API, LiveServer
from tests.server.web import PHONE

pytest_plugins = ["tests.server.browser"]  # the browser and page fixtures


def _pair(page: Page, server: LiveServer) -> None:
    page.goto(server.base_url + "/")
    expect(page.locator("#pair")).to_be_visible()
    page.fill("#token-input", "not-a-token")
    page.click("#pair-form button")
    expect(page.locator("#pair-error")).to_contain_text("not valid")
    page.fill("#token-input", server.token)
    page.click("#pair-form button")
    expect(page.locator("#ask-form")).to_be_visible()


def _ask(page: Page, text: str) -> None:
    page.fill("#message", text)
    page.click("#send")


def test_the_page_pairs_streams_an_answer_and_fits_a_phone(
    page: Page, server: LiveServer, fake_llm: FakeLLM
) -> None:
    answer = "Paris is the capital of France, and has been for a very long time."
    fake_llm.reply_text(thinking(answer), chunk_size=4, delay_between_chunks_ms=60)
    _pair(page, server)
    _ask(page, "What is the capital of France?")
    reply = page.locator(".msg.assistant .text").last
    expect(page.locator(".msg.user").last).to_have_text("What is the capital of France?")
    # Streamed: part of the answer is on screen while the rest is still coming.
    page.wait_for_function(
        "() => { const t = [...document.querySelectorAll('.msg.assistant .text')].pop(); "
        "return t && t.textContent.length > 0 && !t.textContent.endsWith('time.'); }"
    )
    expect(reply).to_have_text(answer, timeout=15_000)
    expect(page.locator(".msg.assistant.streaming")).to_have_count(0)

    fits = page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, "the page scrolls sideways on a phone"
    box = page.locator("#send").bounding_box()
    assert box is not None and box["height"] >= 44 and box["y"] + box["height"] <= PHONE["height"]

    # The pairing survives a reload, and the conversation is shown again.
    page.reload()
    expect(page.locator(".msg.assistant .text").last).to_have_text(answer)


def test_the_page_shows_tool_calls_and_approves_an_action(
    page: Page, server: LiveServer, fake_llm: FakeLLM
) -> None:
    fake_llm.reply_text(thinking(None, ("fs_write", {"path": "/notes.md", "content": "milk"})))
    fake_llm.reply_text(thinking(None, ("system_prompt_update", {"text": "Always answer in French."})))
    _pair(page, server)
    _ask(page, "save my note, then answer in French from now on")

    expect(page.locator(".tool.done")).to_contain_text("fs_write")
    card = page.locator("#log .approval")
    expect(card).to_contain_text("Approve system_prompt_update?")
    expect(card.locator(".preview")).to_contain_text("Always answer in French.")
    expect(page.locator(".note")).to_contain_text("Waiting for your decision")

    fake_llm.reply_text(thinking("D'accord, je répondrai en français."))
    card.locator("button.approve").click()
    expect(card).to_have_class("approval approved")
    expect(page.locator(".msg.assistant .text").last).to_have_text("D'accord, je répondrai en français.")
    with server.client() as http:
        assert http.get(f"{API}/config").json()["system_prompt"] == "Always answer in French."


def test_a_qr_code_link_pairs_the_page_and_leaves_no_token_in_the_address(
    page: Page, server: LiveServer
) -> None:
    page.goto(f"{server.base_url}/#token={server.token}")
    expect(page.locator("#ask-form")).to_be_visible()
    assert "token" not in page.url
    assert page.evaluate("() => localStorage.getItem('pa.token')") == server.token
