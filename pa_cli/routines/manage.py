"""Adding, listing, pausing and removing routines: what the CLI, the HTTP API and the TUI share."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pa_cli.errors import NotFoundError, UsageError
from pa_cli.routines import clock
from pa_cli.routines.schedule import ActiveHours, describe, next_run, to_cron

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from pa_cli.config import Settings
    from pa_cli.store import Store
    from pa_cli.store.models import Routine, RoutineRun

_NAME = re.compile(r"^\S(.{0,78}\S)?$")
MAX_PROMPT_CHARS = 4000


def _zone(settings: Settings) -> ZoneInfo:
    from pa_cli.agent.context import user_timezone

    return user_timezone(settings)


def add_routine(
    settings: Settings,
    store: Store,
    user_id: int,
    *,
    name: str,
    when: str,
    prompt: str,
    also: list[str] | None = None,
    active_hours: str | None = None,
    now: datetime | None = None,
) -> Routine:
    """Validate and store a routine; its first run is the first slot after now."""
    name = name.strip()
    if not _NAME.match(name):
        raise UsageError("a routine's name is 1 to 80 characters, not starting or ending with a space")
    checks = [prompt, *(also or [])]
    if any(not c.strip() for c in checks):
        raise UsageError("a routine's request (and each --also) must not be empty")
    if any(len(c) > MAX_PROMPT_CHARS for c in checks):
        raise UsageError(f"a routine's request (and each --also) is at most {MAX_PROMPT_CHARS} characters")
    cron = to_cron(when)
    hours = str(ActiveHours.parse(active_hours)) if active_hours else None
    first = next_run(cron, _zone(settings), now or clock.now())
    return store.routines.create(
        user_id,
        name=name,
        schedule=" ".join(when.split()),
        cron=cron,
        prompt=prompt.strip(),
        also=[a.strip() for a in also or []],
        active_hours=hours,
        next_run_at=first,
    )


def find_routine(store: Store, user_id: int, name_or_id: str) -> Routine:
    routine = store.routines.by_name(user_id, name_or_id)
    if routine is None:
        found = store.routines.get(name_or_id)
        routine = found if found is not None and found.user_id == user_id else None
    if routine is None:
        raise NotFoundError(f"no routine named {name_or_id!r}", hint="`pa routine list` shows them")
    return routine


def set_paused(settings: Settings, store: Store, routine: Routine, paused: bool) -> Routine:
    """Pause, or resume from the next slot after now (slots missed while paused are not run)."""
    next_at = None if paused else next_run(routine.cron, _zone(settings), clock.now())
    updated = store.routines.set_paused(routine.id, paused, next_at)
    if updated is None:
        raise NotFoundError(f"no routine named {routine.name!r}")
    return updated


def routine_view(settings: Settings, routine: Routine) -> dict[str, Any]:
    """A routine as JSON (``--json`` and HTTP), times in ISO 8601 with the user's offset."""
    zone = _zone(settings)
    return {
        "id": routine.id,
        "name": routine.name,
        "schedule": routine.schedule,
        "cron": routine.cron,
        "schedule_explained": describe(routine.cron),
        "timezone": zone.key,
        "prompt": routine.prompt,
        "also": list(routine.also),
        "active_hours": routine.active_hours,
        "paused": routine.paused,
        "next_run_at": None if routine.paused else routine.next_run_at.astimezone(zone).isoformat(),
        "last_run_at": routine.last_run_at.astimezone(zone).isoformat() if routine.last_run_at else None,
    }


def run_view(settings: Settings, run: RoutineRun, name: str | None = None) -> dict[str, Any]:
    zone = _zone(settings)
    view: dict[str, Any] = {
        "id": run.id,
        "routine_id": run.routine_id,
        "slot": run.slot.astimezone(zone).isoformat(),
        "trigger": run.trigger,
        "late": run.late,
        "status": run.status,
        "session_id": run.session_id,
        "needs_attention": run.needs_attention,
        "summary": run.summary,
        "pending_approvals": list(run.pending_approvals),
        "llm_calls": run.llm_calls,
        "input_tokens": run.input_tokens,
        "output_tokens": run.output_tokens,
        "started_at": run.started_at.astimezone(zone).isoformat(),
        "finished_at": run.finished_at.astimezone(zone).isoformat() if run.finished_at else None,
        "read": run.read_at is not None,
    }
    if name is not None:
        view["routine"] = name
    return view


def routine_detail(settings: Settings, store: Store, routine: Routine) -> dict[str, Any]:
    """A routine with its recent runs and its LLM usage per week (``pa routine show``)."""
    view = routine_view(settings, routine)
    view["runs"] = [run_view(settings, r) for r in store.routines.runs(routine.id, limit=10)]
    view["usage_by_week"] = [u.__dict__ for u in store.routines.usage_by_week(routine.id)]
    return view
