"""A cached rendering of `pa ask`'s first LLM request, with markers where the turn's own text goes.

BAML renders the request once with a marker in place of each value that changes from turn to turn
(the message, the clock, attached text, recalled facts); ``fill`` puts a new turn's values in their
place. Each value lands inside a JSON string of the body, so it is written JSON-escaped; a template is
kept only when filling it with the turn's real values gave back BAML's own bytes (``matches``), and a
filled request is only ever used when BAML, rendering the same turn later, produces the same request
(``request_ahead.adopt``). The API key is never kept: a marker stands where it was.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from pa_cli.agent.ahead_http import AheadRequest

_MARKER = re.compile(r"PAAHEAD([A-Z]+[0-9]*)X7Q")
KEY = "KEY"


def marker(name: str) -> str:
    """The text that stands for ``name`` (letters, then digits) in a template."""
    return f"PAAHEAD{name}X7Q"


def _json_text(value: str) -> str:
    """``value`` as it is written inside a JSON string (serde_json escapes exactly these)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


class Template(NamedTuple):
    method: str
    url: str
    headers: dict[str, str]
    body: str

    def fill(self, values: dict[str, str], api_key: str | None) -> AheadRequest:
        """The request for ``values`` (name -> text) and ``api_key``; KeyError for a missing value."""
        escaped = {name: _json_text(text) for name, text in values.items()}

        def in_body(found: re.Match[str]) -> str:
            return escaped[found.group(1)]

        def with_key(text: str) -> str:
            if marker(KEY) not in text:
                return text
            if api_key is None:
                raise KeyError(KEY)
            return text.replace(marker(KEY), api_key)

        body = _MARKER.sub(in_body, self.body)  # one pass: a value holding a marker stays as written
        return AheadRequest(
            method=self.method,
            url=self.url,
            headers={name: with_key(value) for name, value in self.headers.items()},
            body=body.encode("utf-8"),
        )

    def as_json(self) -> dict[str, Any]:
        return dict(self._asdict())

    @classmethod
    def from_json(cls, data: Any) -> Template | None:
        if not isinstance(data, dict):
            return None
        method, url, headers, body = (data.get(k) for k in ("method", "url", "headers", "body"))
        if not (isinstance(method, str) and isinstance(url, str) and isinstance(body, str)):
            return None
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            return None
        return cls(method, url, dict(headers), body)


def template_of(
    method: str, url: str, headers: dict[str, str], body: bytes, api_key: str | None
) -> Template | None:
    """A template from BAML's rendering with markers; None when the key cannot be taken out of it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if api_key:
        if api_key in text or api_key in url:
            return None  # the key in the body or the URL (encoded there): nothing to cache
        headers = {name: value.replace(api_key, marker(KEY)) for name, value in headers.items()}
    return Template(method, url, headers, text)


def same_request(a: AheadRequest, method: str, url: str, headers: dict[str, str], body: bytes) -> bool:
    """The same request: method, URL and headers exactly (header names without case, as HTTP), and
    the same JSON body. BAML writes an object's keys in no fixed order from one process to the next,
    so the bodies are compared as the JSON values they are, not as bytes."""
    if not (
        a.method == method
        and a.url == url
        and {k.lower(): v for k, v in a.headers.items()} == {k.lower(): v for k, v in headers.items()}
    ):
        return False
    if a.body == body:
        return True
    try:
        return bool(json.loads(a.body) == json.loads(body))
    except ValueError:
        return False
