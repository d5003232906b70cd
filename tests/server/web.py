"""Driving the web page as a person would: ``pair``, ``ask``, ``answered``.

The ``browser`` and ``page`` fixtures are in ``tests.server.browser`` (a module lists it in its
``pytest_plugins``).
"""

from __future__ import annotations

from playwright.sync_api import Page, ViewportSize, expect

from tests.server.support import LiveServer

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE: ViewportSize = {"width": 390, "height": 844}


def pair(page: Page, server: LiveServer) -> None:
    """Open the page and pair it with the server's token (the chat then shows)."""
    page.goto(server.base_url + "/")
    expect(page.locator("#pair")).to_be_visible()
    page.fill("#token-input", server.token)
    page.click("#pair-form button")
    expect(page.locator("#ask-form")).to_be_visible()


def ask(page: Page, text: str) -> None:
    page.fill("#message", text)
    page.click("#send")


def answered(page: Page, timeout: float = 20_000) -> None:
    """Wait until no answer is streaming any more."""
    expect(page.locator("#log .msg.user").last).to_be_visible(timeout=timeout)
    expect(page.locator(".msg.assistant.streaming")).to_have_count(0, timeout=timeout)
