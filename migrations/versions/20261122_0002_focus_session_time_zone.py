"""focus sessions remember the time zone they were started in (for streak days)

Revision ID: 0002_focus
Revises: 0001
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_focus"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("focus_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tz", sa.String(length=64), server_default="UTC", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("focus_sessions", schema=None) as batch_op:
        batch_op.drop_column("tz")
