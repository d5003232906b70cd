"""Memories: short facts about the user, recalled in later turns; on SQLite an FTS5 index over them.

Revision ID: 0006_memories
Revises: 0005_session_kind
Create Date: 2026-12-03 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_memories"
down_revision: str | None = "0005_session_kind"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# External-content FTS5 table over memories.text (user_id kept, unindexed, to filter by owner),
# kept in sync by triggers like messages_fts.
FTS_STATEMENTS = (
    """
    CREATE VIRTUAL TABLE memories_fts USING fts5(
        text, user_id UNINDEXED, content='memories', content_rowid='seq',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
        INSERT INTO memories_fts(rowid, text, user_id) VALUES (new.seq, new.text, new.user_id);
    END
    """,
    """
    CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
        INSERT INTO memories_fts(memories_fts, rowid, text, user_id)
        VALUES ('delete', old.seq, old.text, old.user_id);
    END
    """,
    """
    CREATE TRIGGER memories_fts_update AFTER UPDATE OF text ON memories BEGIN
        INSERT INTO memories_fts(memories_fts, rowid, text, user_id)
        VALUES ('delete', old.seq, old.text, old.user_id);
        INSERT INTO memories_fts(rowid, text, user_id) VALUES (new.seq, new.text, new.user_id);
    END
    """,
)


def upgrade() -> None:
    op.create_table(
        "memories",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("session_id", sa.String(), nullable=True),
        sa.Column("turn_id", sa.String(), nullable=True),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("taint", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_memories_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name="fk_memories_session_id_sessions", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("seq", name="pk_memories"),
        sa.UniqueConstraint("id", name="uq_memories_id"),
    )
    op.create_index("ix_memories_user_id_pinned", "memories", ["user_id", "pinned"])
    op.create_index("ix_memories_user_id_created_at", "memories", ["user_id", "created_at"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in FTS_STATEMENTS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("memories_fts_update", "memories_fts_delete", "memories_fts_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS memories_fts")
    op.drop_index("ix_memories_user_id_created_at", table_name="memories")
    op.drop_index("ix_memories_user_id_pinned", table_name="memories")
    op.drop_table("memories")
