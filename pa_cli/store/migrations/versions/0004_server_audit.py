"""An index on the session of each audit row (for ``pa audit --session``), pending OAuth states in a table, and
requests to cancel a turn that runs in another worker or host (``turn_cancels``).

Pending Google authorizations started over HTTP used to be entries of the secret
store that were never swept; they now live here with an expiry (the PKCE code
verifier encrypted, the state itself stored only as a hash).

Revision ID: 0004_server_audit
Revises: 0003_tool_transactions
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_server_audit"
down_revision: str | None = "0003_tool_transactions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # audit_log.session_id itself comes with 0003_tool_transactions.
    op.create_index("ix_audit_log_session_id", "audit_log", ["session_id"])
    op.create_index("ix_audit_log_tool", "audit_log", ["tool"])
    op.create_table(
        "oauth_states",
        sa.Column("state_hash", sa.String(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("sealed_verifier", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name="pk_oauth_states"),
    )
    op.create_index("ix_oauth_states_expires_at", "oauth_states", ["expires_at"])
    op.create_table(
        "turn_cancels",
        sa.Column("turn_id", sa.String(), nullable=False),
        sa.Column("session_id", sa.String(), nullable=False),
        sa.Column("requested_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("turn_id", name="pk_turn_cancels"),
    )


def downgrade() -> None:
    op.drop_table("turn_cancels")
    op.drop_index("ix_oauth_states_expires_at", table_name="oauth_states")
    op.drop_table("oauth_states")
    op.drop_index("ix_audit_log_tool", table_name="audit_log")
    op.drop_index("ix_audit_log_session_id", table_name="audit_log")
