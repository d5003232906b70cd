"""Sessions get a kind, so direct tool runs (`pa tools run`) stay out of chat listings.

Revision ID: 0005_session_kind
Revises: 0004_server_audit
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_session_kind"
down_revision: str | None = "0004_server_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("kind", sa.String(), nullable=False, server_default="chat"))
    # Direct runs made before this revision are recognisable by their first message.
    op.execute(
        "UPDATE sessions SET kind = 'tool_run' WHERE title LIKE 'pa tools run %' AND id IN "
        "(SELECT session_id FROM messages WHERE role = 'user' AND content LIKE 'pa tools run %')"
    )


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("kind")
