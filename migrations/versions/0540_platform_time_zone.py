"""platforms.time_zone: the zone an administrator chose for a platform's dates

Revision ID: 0540_platform_time_zone
Revises: 0530_case_keys
Create Date: 2026-11-30 17:10:00

Empty (every existing platform): the platform's dates are shown in the zone its territory
lies in (Europe/Paris, or an overseas département's own), computed when read.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0540_platform_time_zone"
down_revision = "0530_case_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("platforms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("platforms", schema=None) as batch_op:
        batch_op.drop_column("time_zone")
