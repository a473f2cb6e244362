"""pilot_digests: the regional pilots' daily digest of stuck cases, counts per platform

Revision ID: 0570_pilot_digests
Revises: 0560_page_lists
Create Date: 2026-11-30 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0570_pilot_digests"
down_revision = "0560_page_lists"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pilot_digests",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("region", sa.String(100), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("message_id", sa.String(300), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_pilot_digests_region", "pilot_digests", ["region"])
    op.create_index("ix_pilot_digests_status", "pilot_digests", ["status"])


def downgrade() -> None:
    op.drop_index("ix_pilot_digests_status", table_name="pilot_digests")
    op.drop_index("ix_pilot_digests_region", table_name="pilot_digests")
    op.drop_table("pilot_digests")
