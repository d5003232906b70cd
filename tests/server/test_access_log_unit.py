"""server/access_log.py in process: exactly which query values are redacted, through a real logging
record shaped as uvicorn's access log writes it.

test_hardening.py shows the OAuth callback's code and state absent from a live `pa serve` log; these
pin the rules cheaply (the first guard of the module under mutation testing).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from pa_cli.server import access_log
from pa_cli.server.access_log import RedactQuery, redact_path

#: uvicorn's access log format: client, method, path with query, HTTP version, status.
UVICORN_FORMAT = '%s - "%s %s HTTP/%s" %d'


def _record(
    args: tuple[object, ...] | dict[str, object] | None, msg: str = UVICORN_FORMAT
) -> logging.LogRecord:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, msg, None, None)
    record.args = args  # as given: a tuple, a mapping (logging's other form) or none
    return record


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/health", "/api/v1/health"),
        ("/a?x=1", "/a?x=1"),
        (
            "/cb?state=s3cr3t&code=4/0Ab-c",
            "/cb?state=[redacted]&code=[redacted]",
        ),
        ("/cb?x=1&token=t&y=2", "/cb?x=1&token=[redacted]&y=2"),
        ("/cb?x=1;api_key=k", "/cb?x=1;api_key=[redacted]"),
        ("/cb?ACCESS_TOKEN=t", "/cb?ACCESS_TOKEN=[redacted]"),
        ("/cb?key[]=a&key%5B%5D=b", "/cb?key[]=[redacted]&key%5B%5D=[redacted]"),
        ("/cb?password=p#frag", "/cb?password=[redacted]#frag"),
        ("/cb?encode=1&mykey=2", "/cb?encode=1&mykey=2"),  # a name that only ends like one is kept
        ("/cb?refresh_token=&client_secret=cs", "/cb?refresh_token=[redacted]&client_secret=[redacted]"),
        ("/a?b?code=c", "/a?b?code=[redacted]"),  # a "?" inside the query separates too
    ],
)
def test_redact_path_replaces_exactly_the_sensitive_values(path: str, expected: str) -> None:
    assert redact_path(path) == expected


def test_a_uvicorn_access_record_is_logged_with_the_values_redacted() -> None:
    record = _record(("127.0.0.1:5000", "GET", "/cb?state=abc&code=xyz", "1.1", 200))
    assert RedactQuery().filter(record) is True
    assert record.args == ("127.0.0.1:5000", "GET", "/cb?state=[redacted]&code=[redacted]", "1.1", 200)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /cb?state=[redacted]&code=[redacted] HTTP/1.1" 200'


def test_a_record_of_exactly_three_arguments_is_redacted() -> None:
    record = _record(("c", "GET", "/cb?code=xyz"), "%s %s %s")
    assert RedactQuery().filter(record) is True
    assert record.args == ("c", "GET", "/cb?code=[redacted]")


@pytest.mark.parametrize(
    "args",
    [None, ("c", "GET"), ("c", "GET", 3, "/cb?code=xyz"), {"path": "/cb?code=xyz"}],
    ids=["none", "two", "not-a-string", "mapping"],
)
def test_other_records_pass_unchanged(args: tuple[object, ...] | dict[str, object] | None) -> None:
    record = _record(args, "x")
    assert RedactQuery().filter(record) is True
    assert record.args == args


@pytest.fixture
def access_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger(access_log.ACCESS_LOGGER)
    before = list(logger.filters)
    logger.filters = [f for f in before if not isinstance(f, RedactQuery)]
    yield logger
    logger.filters = before


def test_install_adds_the_filter_to_uvicorns_access_logger_once(
    access_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    assert access_log.ACCESS_LOGGER == "uvicorn.access"
    access_log.install()
    access_log.install()
    assert sum(isinstance(f, RedactQuery) for f in access_logger.filters) == 1
    with caplog.at_level(logging.INFO, logger=access_log.ACCESS_LOGGER):
        access_logger.info(UVICORN_FORMAT, "c:1", "GET", "/cb?code=xyz&x=1", "1.1", 302)
    assert caplog.messages == ['c:1 - "GET /cb?code=[redacted]&x=1 HTTP/1.1" 302']
