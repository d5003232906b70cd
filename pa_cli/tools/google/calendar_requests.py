"""The frozen requests of a calendar change, and running them exactly as they were approved.

A ``CalendarPlan`` is what ``prepare`` resolved: the preview lines, the API operations (bodies, zones,
attendees, sendUpdates), and the etag of every event they were computed from. ``execute_plan`` re-reads
those events and refuses when one changed (edited elsewhere since the preview), then sends each write
with ``If-Match`` so a change in between is refused by Google too (412).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pa_cli.tools.base import ToolError

CHANGED_SINCE = "the event changed since you approved; ask again for a fresh preview"


@dataclass
class Operation:
    method: Literal["patch", "insert", "delete"]
    kwargs: dict[str, Any]
    #: The etag the event must still have (sent as If-Match), for writes to an existing event.
    if_match: str | None = None


@dataclass
class CalendarPlan:
    lines: list[str]
    operations: list[Operation] = field(default_factory=list)
    #: Every event read to make the plan, by id, with the etag it had: the run refuses if one changed.
    etags: dict[str, str] = field(default_factory=dict)
    calendar_id: str = "primary"

    def preview(self) -> str:
        return "\n".join(self.lines)

    def frozen(self) -> dict[str, Any]:
        """The resolved requests as JSON, stored with the approval and run as they are."""
        return {
            "kind": "calendar_plan",
            "lines": list(self.lines),
            "operations": [asdict(op) for op in self.operations],
            "etags": dict(self.etags),
            "calendar_id": self.calendar_id,
        }

    @classmethod
    def from_frozen(cls, data: dict[str, Any]) -> CalendarPlan:
        if data.get("kind") != "calendar_plan":
            raise ToolError("this approval holds no calendar request: ask again for a fresh preview")
        return cls(
            lines=list(data["lines"]),
            operations=[Operation(**op) for op in data["operations"]],
            etags=dict(data.get("etags") or {}),
            calendar_id=str(data.get("calendar_id") or "primary"),
        )


def _get(api: Any, calendar_id: str, event_id: str) -> dict[str, Any]:
    result: dict[str, Any] = api.events().get(calendarId=calendar_id, eventId=event_id).execute()
    return result


def _changed_since(api: Any, plan: CalendarPlan) -> bool:
    from googleapiclient.errors import HttpError

    for event_id, etag in plan.etags.items():
        try:
            current = _get(api, plan.calendar_id, event_id)
        except HttpError as exc:
            if exc.resp.status in (404, 410):
                return True
            raise
        if current.get("etag") != etag or current.get("status") == "cancelled":
            return True
    return False


def execute_plan(api: Any, plan: CalendarPlan) -> list[dict[str, Any]]:
    """Run the frozen operations as they are; refuse (ToolError) if an event changed since the preview."""
    from googleapiclient.errors import HttpError

    if _changed_since(api, plan):
        raise ToolError(CHANGED_SINCE)
    results: list[dict[str, Any]] = []
    for op in plan.operations:
        request = getattr(api.events(), op.method)(**op.kwargs)
        if op.if_match:
            request.headers["If-Match"] = op.if_match
        try:
            response = request.execute()
        except HttpError as exc:
            if exc.resp.status == 412:
                raise ToolError(CHANGED_SINCE) from None
            raise
        results.append({"method": op.method, "event": response or {"id": op.kwargs.get("eventId")}})
    return results
