"""the file as sent waits in import_upload_parts until the worker has read it

Revision ID: 0550_upload_parts
Revises: 0540_platform_time_zone
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0550_upload_parts"
down_revision = "0540_platform_time_zone"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_upload_parts",
        sa.Column("import_id", sa.String(length=40), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["imports.id"]),
        sa.PrimaryKeyConstraint("import_id", "part"),
    )


def downgrade() -> None:
    op.drop_table("import_upload_parts")
