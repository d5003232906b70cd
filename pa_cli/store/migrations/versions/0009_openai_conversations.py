"""OpenAI-API conversations mapped to pa sessions (by a hash of their messages so far).

Revision ID: 0009_openai_conversations
Revises: 0005_session_kind
Create Date: 2026-12-03 07:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_openai_conversations"
down_revision: str | None = "0008_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "openai_conversations",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_openai_conversations_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name="fk_openai_conversations_session_id_sessions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name="pk_openai_conversations"),
    )
    op.create_index("ix_openai_conversations_user_id", "openai_conversations", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_openai_conversations_user_id", table_name="openai_conversations")
    op.drop_table("openai_conversations")
