"""a regional pilot's Région

Revision ID: 0510_pilot_region
Revises: 0500_walls
Create Date: 2026-11-30 15:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0510_pilot_region"
down_revision = "0500_walls"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("region")
