"""cases.escalated_since (an escalation to the coordinators awaiting an action), dashboard index

Revision ID: 0520_dashboard
Revises: 0510_pilot_region
Create Date: 2026-11-30 16:50:00

Cases already running fill it at their next change (the workflow computes it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0520_dashboard"
down_revision = "0510_pilot_region"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("escalated_since", sa.DateTime(timezone=True), nullable=True)
        )
    # Covers the coordinator's dashboard: its counters read this index only.
    op.create_index(
        "ix_cases_platform_dashboard",
        "cases",
        [
            "platform_id",
            "referent_id",
            "stage",
            "overdue_since",
            "next_deadline_at",
            "escalated_since",
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_cases_platform_dashboard", table_name="cases")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("escalated_since")
