"""Running routines: claim what is due, run each claimed slot as one unattended agent turn, record it.

``RoutineRunner.tick`` is what ``pa serve`` calls every ``routines.tick_seconds``
in each worker and what ``pa routine run-due`` calls once: the claim in the
database (``store.routines.claim_due``) decides which process runs a slot, so
however many call it, each slot runs once. A slot missed while the machine
slept runs once when a tick comes, marked late; the slots in between are
skipped, not replayed. A routine due outside its active hours stays due until
the window opens.

A run is a session of kind ``routine`` titled "<name>, Tue 2 Dec" in the
user's zone. Its turn is unattended: every side effect becomes a pending
approval whatever the policy, and the result says what waits.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pa_cli.routines import clock
from pa_cli.routines.report_tool import REPORT_TOOL, RoutineReport
from pa_cli.routines.schedule import ActiveHours, next_run

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from pa_cli.agent.llm import AssistantLLM
    from pa_cli.config import Settings
    from pa_cli.store import Store
    from pa_cli.store.models import Routine, RoutineRun
    from pa_cli.tools.registry import ToolRegistry

log = logging.getLogger(__name__)
#: A run that starts this long after its slot is marked late (the machine slept, the server was down).
LATE_AFTER = timedelta(minutes=5)


@dataclass
class RunResult:
    routine: str
    run_id: int
    session_id: str | None
    status: str  # done | waiting | failed
    late: bool
    needs_attention: bool
    summary: str
    pending_approvals: list[dict[str, str]] = field(default_factory=list)
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def worker_id() -> str:
    """Who claimed a run: host, process and a random suffix (two runners in one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def run_title(name: str, when: datetime, zone: ZoneInfo) -> str:
    """ "Morning briefing, Tue 2 Dec": the run's session title, in the user's zone."""
    local = when.astimezone(zone)
    return f"{name}, {local:%a} {local.day} {local:%b}"


def turn_message(routine: Routine, *, late: bool, slot: datetime, zone: ZoneInfo) -> str:
    """The one message of the run's turn: the routine's request and its ``--also`` checks together."""
    checks = [routine.prompt, *routine.also]
    lines = [
        f"Scheduled routine {routine.name!r} ({routine.schedule}). No one is present: anything that "
        "sends, creates, changes or deletes will wait for the user's approval.",
    ]
    if late:
        lines.append(
            f"This run is late: it was due at {slot.astimezone(zone):%a %d %b %H:%M} (the machine was off)."
        )
    lines.append("Answer every check below in one reply:")
    lines.extend(f"{i}. {check}" for i, check in enumerate(checks, 1))
    lines.append(
        f"Before your answer, call {REPORT_TOOL} once with needs_attention (false only when nothing here "
        "needs the user) and a one-line summary."
    )
    return "\n".join(lines)


class RoutineRunner:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        registry: ToolRegistry,
        *,
        llm_factory: Callable[[], AssistantLLM] | None = None,
        now: Callable[[], datetime] = clock.now,
        worker: str | None = None,
    ) -> None:
        """``now`` is injectable for tests (default: the real clock, or ``PA_TEST_NOW``)."""
        self.settings = settings
        self.store = store
        self.registry = registry
        self._llm_factory = llm_factory
        self.now = now
        self.worker = worker or worker_id()

    @property
    def zone(self) -> ZoneInfo:
        from pa_cli.agent.context import user_timezone

        return user_timezone(self.settings)

    def decide(self, routine: Routine, now: datetime) -> tuple[datetime, bool] | None:
        """At claim time: the slot after now and whether this run is late, or None to hold it."""
        zone = self.zone
        if routine.active_hours and not ActiveHours.parse(routine.active_hours).contains(now, zone):
            return None
        late = now - routine.next_run_at > LATE_AFTER
        return next_run(routine.cron, zone, now), late

    def claim(self) -> list[RoutineRun]:
        """Claim this tick's due runs (the database decides: each slot goes to one worker)."""
        now = self.now()
        self.store.routines.interrupt_expired(now)
        return self.store.routines.claim_due(now, self.worker, lambda r: self.decide(r, now))

    async def tick(self) -> list[RunResult]:
        """Claim what is due and run it; the results of the runs this worker claimed."""
        results = []
        for run in self.claim():
            results.append(await self.execute(run))
        return results

    async def run_now(self, routine: Routine) -> RunResult:
        """``pa routine run NAME``: one run now, outside the schedule (which stays as it is)."""
        run = self.store.routines.claim_manual(routine, self.now(), self.worker)
        return await self.execute(run)

    async def execute(self, run: RoutineRun) -> RunResult:
        """One run: a routine session, an unattended turn, the report it made, its usage."""
        from pa_cli.agent.events import ApprovalRequired, Done, Error
        from pa_cli.agent.service import AgentService

        routine = self.store.routines.get(run.routine_id)
        if routine is None:  # removed between the claim and now
            self.store.routines.finish_run(
                run.id, status="failed", needs_attention=False, summary="the routine was removed"
            )
            return RunResult("?", run.id, None, "failed", run.late, False, "the routine was removed")
        zone = self.zone
        session = self.store.sessions.create(
            routine.user_id, title=run_title(routine.name, run.slot, zone), kind="routine"
        )
        self.store.routines.set_run_session(run.id, session.id)
        service = AgentService(
            self.settings,
            self.store,
            self.registry.with_tools([RoutineReport()]),
            llm_factory=self._llm_factory,
        )
        message = turn_message(routine, late=run.late, slot=run.slot, zone=zone)
        done: Done | None = None
        error: Error | None = None
        waiting: list[dict[str, str]] = []
        try:
            async for event in service.run(
                message, session_id=session.id, frontend="routine", user_id=routine.user_id, unattended=True
            ):
                if isinstance(event, Done):
                    done = event
                elif isinstance(event, Error):
                    error = event
                elif isinstance(event, ApprovalRequired):
                    waiting.append({"id": event.id, "tool": event.tool})
        except Exception as exc:  # one routine failing never stops the runner
            log.error("routine %s failed: %s", routine.name, type(exc).__name__)
            error = Error(code="internal", message=f"unexpected failure ({type(exc).__name__})")
        return self._record(routine, run, session.id, done, error, waiting)

    def _record(
        self,
        routine: Routine,
        run: RoutineRun,
        session_id: str,
        done: Any,
        error: Any,
        waiting: list[dict[str, str]],
    ) -> RunResult:
        needs_attention, summary = self._report(session_id)
        if error is not None:
            status, needs_attention = "failed", True
            summary = f"the run failed: {error.message}"
        elif waiting:
            status, needs_attention = "waiting", True
            tools = ", ".join(f"{w['tool']} ({w['id'][:8]})" for w in waiting)
            summary = f"{summary}\nWaiting for your approval: {tools}".strip()
        else:
            status = "done"
        if not summary and done is not None:
            summary = " ".join(done.response.split())[:300]
        usage = done.usage if done is not None else None
        self.store.routines.finish_run(
            run.id,
            status=status,
            needs_attention=needs_attention,
            summary=summary,
            pending_approvals=[w["id"] for w in waiting],
            llm_calls=usage.llm_calls if usage else 0,
            input_tokens=usage.input_tokens if usage else 0,
            output_tokens=usage.output_tokens if usage else 0,
            now=self.now(),
        )
        return RunResult(
            routine=routine.name,
            run_id=run.id,
            session_id=session_id,
            status=status,
            late=run.late,
            needs_attention=needs_attention,
            summary=summary,
            pending_approvals=waiting,
            llm_calls=usage.llm_calls if usage else 0,
            input_tokens=usage.input_tokens if usage else 0,
            output_tokens=usage.output_tokens if usage else 0,
        )

    def _report(self, session_id: str) -> tuple[bool, str]:
        """What ``routine_report`` said (the last valid call); no report: it needs attention."""
        from pa_cli.routines.report_tool import RoutineReportArgs

        for message in reversed(self.store.messages.list(session_id)):
            data = message.data or {}
            if message.role != "tool" or message.tool_name != REPORT_TOOL or not data.get("ok"):
                continue
            try:
                report = RoutineReportArgs.model_validate(data.get("arguments") or {})
            except ValueError:
                continue
            return report.needs_attention, report.summary
        return True, ""
