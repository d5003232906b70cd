"""The outbox: approved mail held for the undo window or a scheduled time, sent exactly once.

Revision ID: 0008_outbox
Revises: 0005_session_kind
Create Date: 2026-12-03 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_outbox"
down_revision: str | None = "0007_routines"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "session_id", sa.String(), sa.ForeignKey("sessions.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("approval_id", sa.String(), nullable=True),
        sa.Column("tool", sa.String(), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("send_after", _when(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("claimed_at", _when(), nullable=True),
        sa.Column("finished_at", _when(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_outbox_status_send_after", "outbox", ["status", "send_after"])


def downgrade() -> None:
    op.drop_index("ix_outbox_status_send_after", table_name="outbox")
    op.drop_table("outbox")
