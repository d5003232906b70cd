"""The routines' clock: the real time, or the one a test sets.

``PA_TEST_NOW`` (an ISO 8601 instant with an offset) is a TEST HOOK: when set,
the scheduler, ``pa routine run-due``, ``pa serve``'s routine runner and outbox sender and
``pa outbox flush`` take it as "now". It exists so tests can put a routine in the past, across a DST change
or in a held window without waiting; never set it in normal use.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

TEST_NOW_ENV = "PA_TEST_NOW"


def now() -> datetime:
    """The current instant (aware UTC), or ``PA_TEST_NOW`` when a test set it."""
    fixed = os.environ.get(TEST_NOW_ENV)
    if fixed:
        moment = datetime.fromisoformat(fixed)
        if moment.tzinfo is None:
            raise ValueError(f"{TEST_NOW_ENV} needs an offset, such as 2026-12-01T07:00:00+00:00")
        return moment.astimezone(UTC)
    return datetime.now(UTC)
