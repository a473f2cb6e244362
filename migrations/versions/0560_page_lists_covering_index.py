"""the platform's lists read one covering index (pages benchmark)

Revision ID: 0560_page_lists
Revises: 0550_upload_parts
Create Date: 2026-11-30 17:00:00

The dashboard's index gains the columns « Mes dossiers » and the coordinator's list filter
and sort on (structure, identification date, id): with 10,000 cases in a platform, counting
and ordering a page then read the index only, never the rows.
"""

from __future__ import annotations

from alembic import op

revision = "0560_page_lists"
down_revision = "0550_upload_parts"
branch_labels = None
depends_on = None

DASHBOARD = [
    "platform_id",
    "referent_id",
    "stage",
    "overdue_since",
    "next_deadline_at",
    "escalated_since",
]


def upgrade() -> None:
    op.create_index(
        "ix_cases_platform_lists", "cases", [*DASHBOARD, "structure_id", "identified_at", "id"]
    )
    op.drop_index("ix_cases_platform_dashboard", table_name="cases")


def downgrade() -> None:
    op.create_index("ix_cases_platform_dashboard", "cases", DASHBOARD)
    op.drop_index("ix_cases_platform_lists", table_name="cases")
