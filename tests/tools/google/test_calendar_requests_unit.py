"""tools/google/calendar_requests.py in process: a frozen calendar request round-trips exactly, and
runs only while every event it was computed from is unchanged, each write conditional on its etag.

test_calendar_time.py runs the same against the fake Calendar over HTTP; this pins each branch with a
recorded stand-in for the Calendar API object (a unit test: which requests, with which headers) and
googleapiclient's real HttpError (the module's first guard under mutation testing).
"""

from __future__ import annotations

import json
from typing import Any

import httplib2
import pytest
from googleapiclient.errors import HttpError

from pa_cli.tools.base import ToolError
from pa_cli.tools.google.calendar_requests import (
    CHANGED_SINCE,
    CalendarPlan,
    Operation,
    execute_plan,
)


def http_error(status: int) -> HttpError:
    return HttpError(httplib2.Response({"status": status}), b"{}")


class Request:
    def __init__(self, api: FakeCalendar, call: tuple[str, dict[str, Any]], answer: Any) -> None:
        self.api, self.call, self.answer = api, call, answer
        self.headers: dict[str, str] = {}

    def execute(self) -> Any:
        self.api.sent.append((*self.call, dict(self.headers)))
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


class FakeCalendar:
    """``api.events().get/patch/insert/delete(...).execute()``, answering from ``events`` and ``answers``."""

    def __init__(self, events: dict[str, Any] | None = None, answers: dict[str, Any] | None = None) -> None:
        self.stored = events or {}
        self.answers = answers or {}
        self.sent: list[tuple[str, dict[str, Any], dict[str, str]]] = []

    def events(self) -> FakeCalendar:
        return self

    def get(self, **kwargs: Any) -> Request:
        return Request(self, ("get", kwargs), self.stored[kwargs["eventId"]])

    def _write(self, method: str, kwargs: dict[str, Any]) -> Request:
        return Request(self, (method, kwargs), self.answers.get(method, {"id": "new", "etag": "e9"}))

    def patch(self, **kwargs: Any) -> Request:
        return self._write("patch", kwargs)

    def insert(self, **kwargs: Any) -> Request:
        return self._write("insert", kwargs)

    def delete(self, **kwargs: Any) -> Request:
        return self._write("delete", kwargs)


def plan(**fields: Any) -> CalendarPlan:
    defaults: dict[str, Any] = {
        "lines": ["Move 'Standup'", "to 10:00"],
        "operations": [
            Operation(
                "patch", {"calendarId": "work", "eventId": "ev1", "body": {"summary": "x"}}, if_match="e1"
            ),
            Operation("insert", {"calendarId": "work", "body": {"summary": "y"}}),
        ],
        "etags": {"ev1": "e1"},
        "calendar_id": "work",
    }
    return CalendarPlan(**{**defaults, **fields})


def test_a_plan_defaults_to_the_primary_calendar_with_nothing_to_run() -> None:
    empty = CalendarPlan(lines=["nothing"])
    assert (empty.operations, empty.etags, empty.calendar_id) == ([], {}, "primary")
    assert Operation("insert", {}).if_match is None


def test_the_preview_is_the_lines_one_per_line() -> None:
    assert plan().preview() == "Move 'Standup'\nto 10:00"


def test_a_frozen_plan_is_plain_json_and_comes_back_the_same() -> None:
    original = plan()
    frozen = original.frozen()
    assert frozen == {
        "kind": "calendar_plan",
        "lines": ["Move 'Standup'", "to 10:00"],
        "operations": [
            {
                "method": "patch",
                "kwargs": {"calendarId": "work", "eventId": "ev1", "body": {"summary": "x"}},
                "if_match": "e1",
            },
            {
                "method": "insert",
                "kwargs": {"calendarId": "work", "body": {"summary": "y"}},
                "if_match": None,
            },
        ],
        "etags": {"ev1": "e1"},
        "calendar_id": "work",
    }
    assert CalendarPlan.from_frozen(frozen) == original
    # As it comes back from storage: parsed JSON, whose strings are new objects, not the literals.
    assert CalendarPlan.from_frozen(json.loads(json.dumps(frozen))) == original


def test_a_frozen_plan_without_etags_or_calendar_reads_as_none_and_primary() -> None:
    back = CalendarPlan.from_frozen(
        {"kind": "calendar_plan", "lines": ["a"], "operations": [], "etags": None}
    )
    assert back == CalendarPlan(lines=["a"], operations=[], etags={}, calendar_id="primary")
    empty_id = CalendarPlan.from_frozen(
        {"kind": "calendar_plan", "lines": [], "operations": [], "calendar_id": ""}
    )
    assert empty_id.calendar_id == "primary"


@pytest.mark.parametrize("data", [{}, {"kind": "mail_plan", "lines": [], "operations": []}, None])
def test_an_approval_holding_something_else_is_refused(data: Any) -> None:
    with pytest.raises(ToolError) as caught:
        CalendarPlan.from_frozen(data or {})
    assert caught.value.message == "this approval holds no calendar request: ask again for a fresh preview"


def test_an_unchanged_plan_runs_each_operation_with_its_if_match() -> None:
    api = FakeCalendar(events={"ev1": {"id": "ev1", "etag": "e1", "status": "confirmed"}})
    results = execute_plan(api, plan())
    assert api.sent == [
        ("get", {"calendarId": "work", "eventId": "ev1"}, {}),
        ("patch", {"calendarId": "work", "eventId": "ev1", "body": {"summary": "x"}}, {"If-Match": "e1"}),
        ("insert", {"calendarId": "work", "body": {"summary": "y"}}, {}),
    ]
    assert results == [
        {"method": "patch", "event": {"id": "new", "etag": "e9"}},
        {"method": "insert", "event": {"id": "new", "etag": "e9"}},
    ]


def test_a_delete_with_an_empty_answer_reports_the_event_id() -> None:
    api = FakeCalendar(answers={"delete": ""})
    deleting = CalendarPlan(
        lines=["Delete"], operations=[Operation("delete", {"calendarId": "c", "eventId": "ev7"})]
    )
    assert execute_plan(api, deleting) == [{"method": "delete", "event": {"id": "ev7"}}]


@pytest.mark.parametrize(
    "current",
    [
        {"id": "ev1", "etag": "e2", "status": "confirmed"},
        {"id": "ev1", "etag": "e1", "status": "".join(["cancel", "led"])},  # parsed, not interned
        {"id": "ev1"},
        http_error(404),
        http_error(410),
    ],
    ids=["edited", "cancelled", "no-etag", "gone-404", "gone-410"],
)
def test_a_plan_whose_event_changed_is_refused_and_nothing_is_written(current: Any) -> None:
    api = FakeCalendar(events={"ok": {"etag": "k"}, "ev1": current})
    with pytest.raises(ToolError) as caught:
        execute_plan(api, plan(etags={"ok": "k", "ev1": "e1"}))
    assert caught.value.message == CHANGED_SINCE
    assert [method for method, _, _ in api.sent] == ["get", "get"]  # both read, nothing written


def test_another_error_while_checking_is_not_hidden() -> None:
    api = FakeCalendar(events={"ev1": http_error(500)})
    with pytest.raises(HttpError):
        execute_plan(api, plan())
    assert [method for method, _, _ in api.sent] == ["get"]


def test_a_write_refused_as_stale_by_google_is_changed_since() -> None:
    api = FakeCalendar(events={"ev1": {"etag": "e1"}}, answers={"patch": http_error(412)})
    with pytest.raises(ToolError) as caught:
        execute_plan(api, plan())
    assert caught.value.message == CHANGED_SINCE
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert [method for method, _, _ in api.sent] == ["get", "patch"]  # the insert after it never runs


@pytest.mark.parametrize("status", [403, 500, 503])  # below and above 412: only 412 means "stale"
def test_another_error_while_writing_is_not_hidden(status: int) -> None:
    api = FakeCalendar(events={"ev1": {"etag": "e1"}}, answers={"patch": http_error(status)})
    with pytest.raises(HttpError) as caught:
        execute_plan(api, plan())
    assert caught.value.resp.status == status
