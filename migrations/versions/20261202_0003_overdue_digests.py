"""the days whose overdue digest was sent (one digest per day)

Revision ID: 0003_overdue_digests
Revises: 0002_focus
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from adapters.sql.types import UtcDateTime

revision: str = "0003_overdue_digests"
down_revision: str | None = "0002_focus"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "overdue_digests",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sent_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_overdue_digests")),
    )


def downgrade() -> None:
    op.drop_table("overdue_digests")
