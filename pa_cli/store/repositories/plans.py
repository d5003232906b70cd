"""The per-session plan (todo list) kept by the planning tools."""

from __future__ import annotations

from typing import Any

from pa_cli.store.db import Database
from pa_cli.store.models import Plan
from pa_cli.store.types import utcnow


class PlanRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, session_id: str) -> list[dict[str, Any]]:
        """The steps (``[{"title", "status"}]``); empty when there is no plan."""
        with self._db.read() as session:
            plan = session.get(Plan, session_id)
        return [dict(step) for step in plan.steps] if plan is not None else []

    def set(self, session_id: str, steps: list[dict[str, Any]]) -> None:
        with self._db.write() as session:
            plan = session.get(Plan, session_id)
            if plan is None:
                session.add(Plan(session_id=session_id, steps=[dict(s) for s in steps]))
            else:
                plan.steps = [dict(s) for s in steps]
                plan.updated_at = utcnow()
