"""Routines and their runs, and the claim that makes each scheduled slot run exactly once.

The claim moves a routine's ``next_run_at`` forward in the same transaction
that inserts the run: ``UPDATE routines SET next_run_at = :new WHERE id = :id
AND next_run_at = :old AND NOT paused`` and only a row count of 1 wins. On
SQLite the transaction is ``BEGIN IMMEDIATE`` (writers queue on the file lock);
on PostgreSQL the due rows are first locked with ``SELECT ... FOR UPDATE SKIP
LOCKED``, so a second server skips what the first is claiming instead of
waiting for it. A unique (routine, slot) constraint on the runs backs both up.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from pa_cli.errors import UsageError
from pa_cli.store.db import Database
from pa_cli.store.models import Routine, RoutineRun
from pa_cli.store.types import as_utc, utcnow

#: How long a claimed run may take before another process may call it interrupted.
DEFAULT_LEASE = timedelta(minutes=30)
#: Decides one due routine at claim time: (the next slot after this one, late?) or None to hold it.
Decide = Callable[[Routine], "tuple[datetime, bool] | None"]


@dataclass(frozen=True)
class WeekUsage:
    week_start: str  # ISO date of the Monday
    runs: int
    llm_calls: int
    input_tokens: int
    output_tokens: int


class RoutineRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- routines ----------------------------------------------------------------------

    def create(
        self,
        user_id: int,
        *,
        name: str,
        schedule: str,
        cron: str,
        prompt: str,
        next_run_at: datetime,
        also: Iterable[str] = (),
        active_hours: str | None = None,
    ) -> Routine:
        routine = Routine(
            user_id=user_id,
            name=name,
            schedule=schedule,
            cron=cron,
            prompt=prompt,
            also=list(also),
            active_hours=active_hours,
            next_run_at=next_run_at,
        )
        try:
            with self._db.write() as session:
                session.add(routine)
                session.flush()
        except IntegrityError:
            raise UsageError(
                f"a routine named {name!r} exists already", hint="`pa routine remove NAME` first"
            ) from None
        return routine

    def get(self, routine_id: str) -> Routine | None:
        with self._db.read() as session:
            return session.get(Routine, routine_id)

    def by_name(self, user_id: int, name: str) -> Routine | None:
        query = select(Routine).where(Routine.user_id == user_id, Routine.name == name)
        with self._db.read() as session:
            return session.exec(query).first()

    def list(self, user_id: int) -> builtins.list[Routine]:
        query = select(Routine).where(Routine.user_id == user_id).order_by(col(Routine.name))
        with self._db.read() as session:
            return builtins.list(session.exec(query).all())

    def set_paused(
        self, routine_id: str, paused: bool, next_run_at: datetime | None = None
    ) -> Routine | None:
        """Pause, or resume from ``next_run_at`` (slots missed while paused are not run)."""
        with self._db.write() as session:
            routine = session.get(Routine, routine_id)
            if routine is None:
                return None
            routine.paused = paused
            if next_run_at is not None:
                routine.next_run_at = next_run_at
            routine.updated_at = utcnow()
            session.add(routine)
            return routine

    def delete(self, routine_id: str) -> bool:
        with self._db.write() as session:
            routine = session.get(Routine, routine_id)
            if routine is None:
                return False
            session.delete(routine)
            return True

    # --- the claim -----------------------------------------------------------------------

    def claim_due(
        self, now: datetime, worker: str, decide: Decide, *, lease: timedelta = DEFAULT_LEASE
    ) -> builtins.list[RoutineRun]:
        """Claim every due routine that ``decide`` does not hold; the runs returned are this worker's."""
        query = (
            select(Routine)
            .where(col(Routine.paused).is_(False), col(Routine.next_run_at) <= now)
            .order_by(col(Routine.next_run_at))
            .limit(50)
        )
        if not self._db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        claimed: builtins.list[RoutineRun] = []
        try:
            with self._db.write() as session:
                for routine in session.exec(query).all():
                    decision = decide(routine)
                    if decision is None:
                        continue  # held (outside its active hours): stays due
                    new_next, late = decision
                    moved = session.execute(
                        update(Routine)
                        .where(
                            col(Routine.id) == routine.id,
                            col(Routine.next_run_at) == routine.next_run_at,
                            col(Routine.paused).is_(False),
                        )
                        .values(next_run_at=new_next, last_run_at=now, updated_at=now)
                        .execution_options(synchronize_session=False)
                    )
                    if moved.rowcount != 1:  # type: ignore[attr-defined]
                        continue  # another worker moved it first
                    run = RoutineRun(
                        routine_id=routine.id,
                        user_id=routine.user_id,
                        slot=as_utc(routine.next_run_at),
                        late=late,
                        claimed_by=worker,
                        lease_until=now + lease,
                        started_at=now,
                    )
                    session.add(run)
                    session.flush()
                    claimed.append(run)
        except IntegrityError:
            return []  # a slot already had its run: nothing of this transaction was kept
        return claimed

    def claim_manual(
        self, routine: Routine, now: datetime, worker: str, *, lease: timedelta = DEFAULT_LEASE
    ) -> RoutineRun:
        """A run asked for now (``pa routine run NAME``); the schedule is left as it is."""
        run = RoutineRun(
            routine_id=routine.id,
            user_id=routine.user_id,
            slot=now,
            trigger="manual",
            claimed_by=worker,
            lease_until=now + lease,
            started_at=now,
        )
        try:
            with self._db.write() as session:
                session.add(run)
                session.flush()
        except IntegrityError:
            raise UsageError(f"routine {routine.name!r} is running already") from None
        return run

    def interrupt_expired(self, now: datetime) -> int:
        """Runs whose lease ran out while still ``running`` (the process died): marked interrupted."""
        with self._db.write() as session:
            result = session.execute(
                update(RoutineRun)
                .where(col(RoutineRun.status) == "running", col(RoutineRun.lease_until) < now)
                .values(status="interrupted", finished_at=now, summary="the run was interrupted")
                .execution_options(synchronize_session=False)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    # --- runs ----------------------------------------------------------------------------

    def set_run_session(self, run_id: int, session_id: str) -> None:
        with self._db.write() as session:
            run = session.get(RoutineRun, run_id)
            if run is not None:
                run.session_id = session_id
                session.add(run)

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        needs_attention: bool,
        summary: str,
        pending_approvals: Iterable[str] = (),
        llm_calls: int = 0,
        input_tokens: int = 0,
        output_tokens: int = 0,
        now: datetime | None = None,
    ) -> RoutineRun | None:
        with self._db.write() as session:
            run = session.get(RoutineRun, run_id)
            if run is None:
                return None
            run.status = status
            run.needs_attention = needs_attention
            run.summary = summary
            run.pending_approvals = list(pending_approvals)
            run.llm_calls = llm_calls
            run.input_tokens = input_tokens
            run.output_tokens = output_tokens
            run.finished_at = now or utcnow()
            if not needs_attention:
                run.read_at = run.finished_at  # nothing needs you: nobody is told
            session.add(run)
            return run

    def runs(self, routine_id: str, limit: int = 20) -> builtins.list[RoutineRun]:
        """The routine's runs, newest first."""
        query = (
            select(RoutineRun)
            .where(RoutineRun.routine_id == routine_id)
            .order_by(col(RoutineRun.started_at).desc(), col(RoutineRun.id).desc())
            .limit(limit)
        )
        with self._db.read() as session:
            return builtins.list(session.exec(query).all())

    def get_run(self, run_id: int) -> RoutineRun | None:
        with self._db.read() as session:
            return session.get(RoutineRun, run_id)

    def recent_results(self, user_id: int, limit: int = 20) -> builtins.list[tuple[RoutineRun, str]]:
        """The user's finished runs with their routine's name, newest first (the web page's list)."""
        query = (
            select(RoutineRun, Routine.name)
            .join(Routine, col(Routine.id) == col(RoutineRun.routine_id))
            .where(RoutineRun.user_id == user_id, col(RoutineRun.status) != "running")
            .order_by(col(RoutineRun.started_at).desc(), col(RoutineRun.id).desc())
            .limit(limit)
        )
        with self._db.read() as session:
            return [(run, name) for run, name in session.exec(query).all()]

    def unread_count(self, user_id: int) -> int:
        query = select(func.count()).where(
            RoutineRun.user_id == user_id,
            col(RoutineRun.read_at).is_(None),
            col(RoutineRun.needs_attention).is_(True),
            col(RoutineRun.status) != "running",
        )
        with self._db.read() as session:
            return int(session.exec(query).one())

    def mark_read(self, routine_id: str, now: datetime | None = None) -> int:
        with self._db.write() as session:
            result = session.execute(
                update(RoutineRun)
                .where(
                    col(RoutineRun.routine_id) == routine_id,
                    col(RoutineRun.read_at).is_(None),
                    col(RoutineRun.status) != "running",
                )
                .values(read_at=now or utcnow())
                .execution_options(synchronize_session=False)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def usage_by_week(self, routine_id: str, weeks: int = 8) -> builtins.list[WeekUsage]:
        """LLM calls and tokens of the routine's runs, summed per ISO week (Monday first), newest first."""
        query = select(RoutineRun).where(RoutineRun.routine_id == routine_id)
        with self._db.read() as session:
            runs = session.exec(query).all()
        totals: dict[str, list[int]] = {}
        for run in runs:
            started = as_utc(run.started_at)
            monday = (started - timedelta(days=started.weekday())).date().isoformat()
            row = totals.setdefault(monday, [0, 0, 0, 0])
            row[0] += 1
            row[1] += run.llm_calls
            row[2] += run.input_tokens
            row[3] += run.output_tokens
        ordered = sorted(totals.items(), reverse=True)[:weeks]
        return [WeekUsage(week, *values) for week, values in ordered]
