"""Each tool call its own transaction: frozen approved requests, audit begin/close pairs, tainted files.

* ``approvals.frozen``: the request ``Tool.prepare`` resolved, run exactly by ``Tool.run_prepared``.
* ``audit_log.session_id`` and ``audit_log.ref_id``: a call's ledger is a begin row (``executing``) and
  a closing row that references it (``ref_id``) with the final outcome.
* ``vfs_files.taint``: why a file is untrusted (it was written while untrusted content was in context).

Revision ID: 0003_tool_transactions
Revises: 0002_rate_limit_hits
Create Date: 2026-12-02 17:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_tool_transactions"
down_revision: str | None = "0002_rate_limit_hits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("approvals", sa.Column("frozen", sa.JSON(), nullable=True))
    op.add_column("audit_log", sa.Column("session_id", sa.String(), nullable=True))
    op.add_column("audit_log", sa.Column("ref_id", sa.Integer(), nullable=True))
    op.add_column("vfs_files", sa.Column("taint", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vfs_files") as batch:
        batch.drop_column("taint")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("ref_id")
        batch.drop_column("session_id")
    with op.batch_alter_table("approvals") as batch:
        batch.drop_column("frozen")
