"""creation requests (idempotent replays) and crossing notices (walls between platforms)

Revision ID: 0500_walls
Revises: 0400_accounts
Create Date: 2026-11-30 15:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0500_walls"
down_revision = "0400_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "creation_requests",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("caller_id", sa.String(length=40), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("platform_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=True),
        sa.Column("review_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("creation_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_creation_requests_case_id"), ["case_id"])
    op.create_table(
        "crossing_notices",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("platform_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("identified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_by", sa.String(length=40), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["platform_id"], ["platforms.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("crossing_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crossing_notices_platform_id"), ["platform_id"])
        batch_op.create_index(batch_op.f("ix_crossing_notices_case_id"), ["case_id"])


def downgrade() -> None:
    op.drop_table("crossing_notices")
    op.drop_table("creation_requests")
