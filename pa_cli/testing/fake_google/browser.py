"""A stand-in for the user's web browser, for code that calls ``webbrowser``.

``FakeBrowser.open(url)`` returns at once (like a real browser) and, in a background thread, opens
the authorization URL on the fake, consents, and follows the redirect to the app's loopback server.
Patch it in with ``monkeypatch.setattr(webbrowser, "get", lambda using=None: browser)`` or
``monkeypatch.setattr(webbrowser, "open", browser.open)``.
"""

from __future__ import annotations

import threading
import webbrowser
from collections.abc import Callable

import httpx


class FakeBrowser(webbrowser.BaseBrowser):
    def __init__(self, browse: Callable[[str], httpx.Response]) -> None:
        super().__init__("pa-fake-google")
        self._browse = browse
        self._threads: list[threading.Thread] = []
        self.opened: list[str] = []
        self.responses: list[httpx.Response] = []
        self.errors: list[BaseException] = []

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.append(url)
        thread = threading.Thread(target=self._visit, args=(url,), name="fake-browser", daemon=True)
        self._threads.append(thread)
        thread.start()
        return True

    def _visit(self, url: str) -> None:
        try:
            self.responses.append(self._browse(url))
        except Exception as exc:  # kept for the test to inspect
            self.errors.append(exc)

    def wait(self, timeout: float = 10.0) -> None:
        """Wait until every page opened so far has finished loading."""
        for thread in self._threads:
            thread.join(timeout)
