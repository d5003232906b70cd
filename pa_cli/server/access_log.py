"""Keeps secrets out of uvicorn's access log: the values of credential-bearing query parameters
(the OAuth ``code`` and ``state``, tokens, keys) are replaced with ``[redacted]``.

uvicorn logs each request as ``client - "METHOD path?query HTTP/x" status``; the
Google callback's query carries a one-time authorization code and its state,
which must not land in a log file, a journal or a terminal scrollback.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
SENSITIVE = (
    "code",
    "state",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "key",
    "api_key",
    "client_secret",
    "password",
    "passphrase",
)
_PARAM = re.compile(r"(?i)(^|[?&;])((?:" + "|".join(SENSITIVE) + r")(?:%5B%5D|\[\])?)=([^&;#\s]*)")


def redact_path(path: str) -> str:
    """``path`` with the values of sensitive query parameters replaced."""
    if "?" not in path:
        return path
    base, _, query = path.partition("?")
    return base + "?" + _PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)}=[redacted]", query)


class RedactQuery(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_path(args[2]), *args[3:])
        return True


def install() -> None:
    """Add the filter to uvicorn's access logger once (each worker process calls this)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactQuery) for f in logger.filters):
        logger.addFilter(RedactQuery())
