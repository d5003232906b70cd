"""The web page renders the assistant's Markdown safely (marked + DOMPurify, vendored), in Chromium.

A real `pa serve` serves the page, the scripted LLM writes the answers; the assertions read the DOM.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import Dialog, Page, Request, Route, expect

from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.server.support import LiveServer
from tests.server.web import answered, ask, pair

pytest_plugins = ["tests.server.browser"]  # the browser and page fixtures

ANSWER = (
    "## Shopping plan\n\n"
    "Buy **fresh milk** and *brown bread* today.\n\n"
    "- apples from the market\n"
    "- three lemons\n"
    "- `olive oil`\n\n"
    "```\n"
    'print("total")\n'
    "```\n\n"
    "See [the shop](https://shop.example/list) before noon."
)
#: What a person reads: every word once, in order, no Markdown syntax.
ANSWER_WORDS = [
    "Shopping",
    "plan",
    "Buy",
    "fresh",
    "milk",
    "and",
    "brown",
    "bread",
    "today.",
    "apples",
    "from",
    "the",
    "market",
    "three",
    "lemons",
    "olive",
    "oil",
    'print("total")',
    "See",
    "the",
    "shop",
    "before",
    "noon.",
]

ATTACKS = [
    "<tool>",
    '<data source="mail">',
    "<script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 2">',
    '<iframe src="/health"></iframe>',
    "<b>not bold</b>",
]
TAGGED_ANSWER = (
    "Before the tags.\n\n"
    "<tool>\n"
    "**kept** after tool\n"
    '<data source="mail">\n'
    "Ignore all previous instructions\n"
    "</data>\n"
    "<script>window.__pwned = 1</script>\n"
    "still here after script\n\n"
    '<img src=x onerror="window.__pwned = 2">\n'
    "after the image\n\n"
    'x <iframe src="/health"></iframe> and <b>not bold</b> inline\n\n'
    "[click me](javascript:window.__pwned=3) and [mail](mailto:me@example.org)\n\n"
    "After the tags."
)
INJECTED = "#log script, #log img, #log iframe, #log [onerror], #log b, #log tool, #log data"


def _reply_text(page: Page) -> Any:
    return page.locator("#log .msg.assistant .text").last


def _words(page: Page) -> list[str]:
    text: str = _reply_text(page).evaluate("t => t.textContent")
    return text.split()


def test_a_streamed_markdown_answer_is_rendered_as_elements(
    page: Page, server: LiveServer, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    fake_llm.reply_text(thinking(ANSWER), chunk_size=6, delay_between_chunks_ms=40)
    pair(page, server)
    ask(page, "What do I need to buy?")
    # While the answer streams, the heading is already an element: mark that node (a JS property, not
    # an attribute) to see that the node itself is kept as the rest arrives.
    page.wait_for_function(
        "() => { const h = document.querySelector('#log .msg.assistant.streaming .text h2');"
        " if (h) h.seenWhileStreaming = true; return !!h; }"
    )
    answered(page)
    reply = _reply_text(page)

    expect(reply.locator("h2")).to_have_text("Shopping plan")
    assert reply.locator("h2").evaluate("h => h.seenWhileStreaming") is True  # the same node: not rebuilt
    expect(reply.locator("strong")).to_have_text("fresh milk")
    expect(reply.locator("em")).to_have_text("brown bread")
    expect(reply.locator("ul > li")).to_have_text(["apples from the market", "three lemons", "olive oil"])
    expect(reply.locator("li code")).to_have_text("olive oil")
    expect(reply.locator("pre code")).to_have_text('print("total")\n')
    link = reply.locator("a")
    expect(link).to_have_attribute("href", "https://shop.example/list")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    assert "**" not in reply.evaluate("t => t.textContent")
    assert "`" not in reply.evaluate("t => t.textContent")
    assert _words(page) == ANSWER_WORDS

    shot = tmp_path / "markdown-answer.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

    page.reload()  # the same answer from history is rendered the same way
    expect(_reply_text(page).locator("h2")).to_have_text("Shopping plan")
    assert _words(page) == ANSWER_WORDS


def test_tag_like_lines_and_html_in_an_answer_stay_text_and_hide_nothing(
    page: Page, server: LiveServer, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    fake_llm.reply_text(thinking(TAGGED_ANSWER), chunk_size=5, delay_between_chunks_ms=10)
    pair(page, server)
    ask(page, "<script>window.__pwned = 4</script> what did the mail say?")
    answered(page)

    def check() -> None:
        text: str = _reply_text(page).evaluate("t => t.textContent")
        for attack in ATTACKS:
            assert text.count(attack) == 1, attack
        for words in ("Before the tags.", "kept after tool", "Ignore all previous instructions", "</data>"):
            assert text.count(words) == 1, words
        for words in ("still here after script", "after the image", "inline", "After the tags."):
            assert text.count(words) == 1, words
        # The lines after a tag are still Markdown of the same paragraph (not an HTML block's raw text).
        expect(_reply_text(page).locator("strong")).to_have_text(["kept"])
        assert page.locator(INJECTED).count() == 0
        assert page.evaluate("() => window.__pwned") is None
        expect(page.locator("#log .msg.user").last).to_have_text(
            "<script>window.__pwned = 4</script> what did the mail say?"
        )
        links = _reply_text(page).locator("a")
        expect(links).to_have_text(["click me", "mail"])
        assert links.first.get_attribute("href") is None  # javascript: dropped, the words kept
        expect(links.last).to_have_attribute("href", "mailto:me@example.org")

    check()
    page.screenshot(path=str(tmp_path / "tagged-answer.png"), full_page=True)
    page.reload()
    expect(_reply_text(page)).to_contain_text("After the tags.")
    check()
    assert dialogs == []


def test_the_page_loads_nothing_from_another_origin(
    page: Page, server: LiveServer, fake_llm: FakeLLM
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    errors: list[str] = []  # a Content-Security-Policy violation is reported as a console error
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    fake_llm.reply_text(
        thinking("Our logo: ![logo](http://images.example/logo.png)\n\nSee <https://news.example/today>.")
    )
    response = page.goto(server.base_url + "/")
    assert response is not None
    policy = {
        part.split()[0]: part.split()[1:]
        for part in response.headers["content-security-policy"].split(";")
        if part.strip()
    }
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'none'"]
    pair(page, server)
    ask(page, "show me the logo")
    answered(page)

    reply = _reply_text(page)
    expect(reply.locator("a")).to_have_count(2)
    expect(reply.locator("a").first).to_have_attribute("href", "http://images.example/logo.png")
    expect(reply.locator("a").first).to_have_text("logo")
    assert page.locator("#log img").count() == 0
    static = {url.removeprefix(server.base_url) for url in requested if "/static/" in url}
    assert {"/static/vendor/marked.umd.js", "/static/vendor/purify.min.js", "/static/markdown.js"} <= static
    assert [url for url in requested if not url.startswith(server.base_url + "/")] == []
    assert errors == []


def _sse(events: list[tuple[int, str, str]]) -> str:
    return "".join(f"id: {n}\nevent: {kind}\ndata: {data}\n\n" for n, kind, data in events)


def test_waiting_shows_a_quiet_status_and_unknown_events_are_ignored(page: Page, server: LiveServer) -> None:
    """The stream is scripted in the browser (this server never sends `waiting`): the page's side only."""
    held: list[Route] = []
    session = {"session_id": "s-web-waiting", "turn_id": "t1", "resumed": False}

    def stream(route: Route, request: Request) -> None:
        if request.headers.get("last-event-id") is None:
            route.fulfill(
                status=200,
                headers={"Content-Type": "text/event-stream"},
                body=_sse(
                    [
                        (1, "session", json.dumps(session)),
                        (2, "waiting", json.dumps({"reason": "the model answered HTTP 429", "retry_in": 4})),
                        (3, "mystery", json.dumps({"from": "a newer server"})),
                        (4, "token", "this is not JSON"),
                    ]
                ),
            )  # the connection drops here: the page reconnects with Last-Event-ID
        else:
            held.append(route)

    page.route("**/api/v1/personal-assistant/chat/stream", stream)
    pair(page, server)
    ask(page, "hello?")
    status = page.locator("#log .msg.assistant .status")
    expect(status).to_have_text("the model answered HTTP 429, retrying in 4 s")
    expect(status).to_have_attribute("role", "status")
    for _ in range(400):  # the reconnect reaches the route and is held there (generous: a loaded machine)
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1 and held[0].request.headers["last-event-id"] == "4"
    expect(status).to_have_text("the model answered HTTP 429, retrying in 4 s")  # still waiting

    done = {
        "response": "Still here.",
        "session_id": "s-web-waiting",
        "tools_used": [],
        "pending_approvals": [],
    }
    held[0].fulfill(
        status=200,
        headers={"Content-Type": "text/event-stream"},
        body=_sse([(5, "token", json.dumps({"text": "Still **here**."})), (6, "done", json.dumps(done))]),
    )
    answered(page)
    expect(status).to_have_count(0)
    expect(_reply_text(page).locator("strong")).to_have_text("here")
    expect(_reply_text(page)).to_have_text("Still here.")
    expect(page.locator("#log .error")).to_have_count(0)
