"""Routine results on the web page (real Chromium): shown, notified, and still readable offline (PWA)."""

from __future__ import annotations

import json

from playwright.sync_api import Page, expect

from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.server.support import API, LiveServer

pytest_plugins = ["tests.server.browser"]  # the browser and page fixtures


def _run_a_routine(server: LiveServer, fake_llm: FakeLLM, summary: str) -> None:
    fake_llm.reply_text(thinking(None, ("routine_report", {"needs_attention": True, "summary": summary})))
    fake_llm.reply_text(thinking("Details of the briefing."))
    with server.client() as http:
        created = http.post(
            f"{API}/routines", json={"name": "Morning briefing", "at": "daily 08:00", "text": "brief me"}
        )
        assert created.status_code == 201, created.text
        ran = http.post(f"{API}/routines/{created.json()['id']}/run")
        assert ran.status_code == 200 and ran.json()["summary"] == summary


def test_the_page_shows_a_routine_result_and_keeps_it_readable_offline(
    page: Page, server: LiveServer, fake_llm: FakeLLM
) -> None:
    summary = "Two mails need you: the landlord and the dentist."
    _run_a_routine(server, fake_llm, summary)
    page.goto(f"{server.base_url}/#token={server.token}")
    result = page.locator("#routine-list .routine-result").first
    expect(result).to_contain_text("Morning briefing")
    expect(result.locator(".routine-summary")).to_have_text(summary)
    expect(page.locator("#routines-offline")).to_be_hidden()
    # The page is an installable PWA: a manifest, and a service worker that controls the page.
    manifest = page.evaluate("() => fetch('/manifest.webmanifest').then((r) => r.json())")
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the worker's control, which has the page's files in its cache
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    expect(page.locator("#routine-list .routine-summary").first).to_have_text(summary)

    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#routine-list .routine-summary").first).to_have_text(summary)
    expect(page.locator("#routines-offline")).to_be_visible()
    expect(page.locator("#pair")).to_be_hidden()


def test_a_new_result_that_needs_you_is_a_notification_while_the_page_is_open(
    page: Page, own_server: LiveServer, fake_llm: FakeLLM
) -> None:
    server = own_server
    page.context.grant_permissions(["notifications"], origin=server.base_url)
    page.add_init_script(
        "window.__shown = []; window.Notification = class { constructor(title, options) "
        "{ window.__shown.push({title, body: options.body}); } static get permission() { return 'granted'; } };"
    )
    _run_a_routine(server, fake_llm, "The rent is due tomorrow.")
    page.goto(f"{server.base_url}/#token={server.token}")
    expect(page.locator("#routine-list .routine-result")).to_have_count(1)
    shown = page.evaluate("() => window.__shown")
    assert shown == [{"title": "pa: Morning briefing", "body": "The rent is due tomorrow."}]
    page.reload()  # the same result is not notified twice
    expect(page.locator("#routine-list .routine-result")).to_have_count(1)
    assert page.evaluate("() => window.__shown") == []
    assert json.loads(page.evaluate("() => localStorage.getItem('pa.routineNotified')")) != []
