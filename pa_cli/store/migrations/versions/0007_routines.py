"""Routines (scheduled briefings and check-ins) and their runs.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-03 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_routines"
down_revision: str | None = "0006_memories"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "routines",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("schedule", sa.String(), nullable=False),
        sa.Column("cron", sa.String(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("also", sa.JSON(), nullable=False),
        sa.Column("active_hours", sa.String(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", _when(), nullable=False),
        sa.Column("last_run_at", _when(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_routines_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_routines"),
        sa.UniqueConstraint("user_id", "name", name="uq_routines_user_id_name"),
    )
    op.create_index("ix_routines_paused_next_run_at", "routines", ["paused", "next_run_at"])
    op.create_table(
        "routine_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("routine_id", sa.String(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("slot", _when(), nullable=False),
        sa.Column("trigger", sa.String(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=False),
        sa.Column("lease_until", _when(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("session_id", sa.String(), nullable=True),
        sa.Column("needs_attention", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("pending_approvals", sa.JSON(), nullable=False),
        sa.Column("llm_calls", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("started_at", _when(), nullable=False),
        sa.Column("finished_at", _when(), nullable=True),
        sa.Column("read_at", _when(), nullable=True),
        sa.ForeignKeyConstraint(
            ["routine_id"], ["routines.id"], name="fk_routine_runs_routine_id_routines", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_routine_runs_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name="fk_routine_runs_session_id_sessions", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_routine_runs"),
        sa.UniqueConstraint("routine_id", "slot", name="uq_routine_runs_routine_id_slot"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_routine_runs_user_id_read_at", "routine_runs", ["user_id", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_routine_runs_user_id_read_at", table_name="routine_runs")
    op.drop_table("routine_runs")
    op.drop_index("ix_routines_paused_next_run_at", table_name="routines")
    op.drop_table("routines")
