"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 07:48:32.258054
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import adapters.sql.types


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "books",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("publish_year", sa.Integer(), nullable=False),
        sa.Column(
            "short_description",
            sa.String(length=500),
            server_default="",
            nullable=False,
        ),
        sa.Column("full_description", sa.Text(), server_default="", nullable=False),
        sa.Column("cover", sa.String(length=4), server_default="HARD", nullable=False),
        sa.Column("inventory", sa.Integer(), nullable=False),
        sa.Column("daily_fee_cents", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "cover IN ('HARD', 'SOFT')", name=op.f("ck_books_cover_kind")
        ),
        sa.CheckConstraint(
            "daily_fee_cents >= 0", name=op.f("ck_books_daily_fee_not_negative")
        ),
        sa.CheckConstraint(
            "inventory >= 0", name=op.f("ck_books_inventory_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_books")),
    )
    with op.batch_alter_table("books", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_books_author"), ["author"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_books_publish_year"), ["publish_year"], unique=False
        )

    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("node", sa.String(length=128), nullable=False),
        sa.Column(
            "started_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "finished_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
    )
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_job_runs_job_started", ["job", "started_at"], unique=False
        )

    op.create_table(
        "music_tracks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column(
            "created_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_music_tracks")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at",
            adapters.sql.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "claimed_until",
            adapters.sql.types.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "sent_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')",
            name=op.f("ck_outbox_outbox_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_due", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column(
            "received_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("country", sa.String(length=64), nullable=True),
        sa.Column("avatar_url", sa.String(length=500), nullable=True),
        sa.Column(
            "is_premium", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_country", ["country"], unique=False)

    op.create_table(
        "borrowings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("borrow_date", sa.Date(), nullable=False),
        sa.Column("expected_return_date", sa.Date(), nullable=False),
        sa.Column("actual_return_date", sa.Date(), nullable=True),
        sa.Column(
            "created_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["books.id"],
            name=op.f("fk_borrowings_book_id_books"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_borrowings_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_borrowings")),
    )
    with op.batch_alter_table("borrowings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_borrowings_book_id"), ["book_id"], unique=False
        )
        batch_op.create_index(
            "ix_borrowings_due",
            ["expected_return_date"],
            unique=False,
            postgresql_where=sa.text("actual_return_date IS NULL"),
            sqlite_where=sa.text("actual_return_date IS NULL"),
        )
        batch_op.create_index(
            "ix_borrowings_user_active", ["user_id", "actual_return_date"], unique=False
        )

    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("room", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "created_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "read_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.CheckConstraint(
            "(recipient_id IS NULL) <> (room IS NULL)",
            name=op.f("ck_chat_messages_direct_or_room"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["users.id"],
            name=op.f("fk_chat_messages_recipient_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["users.id"],
            name=op.f("fk_chat_messages_sender_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
    )
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_chat_messages_pair", ["sender_id", "recipient_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_chat_messages_recipient",
            ["recipient_id", "sender_id", "id"],
            unique=False,
        )
        batch_op.create_index("ix_chat_messages_room", ["room", "id"], unique=False)

    op.create_table(
        "email_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("new_email", sa.String(length=254), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "used_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_email_changes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_changes")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_email_changes_token_hash")),
    )
    with op.batch_alter_table("email_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_email_changes_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("image_url", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column(
            "available_at",
            adapters.sql.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "published_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('scheduled', 'published')", name=op.f("ck_events_event_status")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_events_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_events_status_available", ["status", "available_at"], unique=False
        )
        batch_op.create_index("ix_events_status_date", ["status", "date"], unique=False)

    op.create_table(
        "focus_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("color", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_focus_categories_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_focus_categories")),
    )
    with op.batch_alter_table("focus_categories", schema=None) as batch_op:
        batch_op.create_index(
            "uq_focus_categories_user_name", ["user_id", "name"], unique=True
        )

    op.create_table(
        "holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column(
            "created_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "ready_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "ready_until", adapters.sql.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "closed_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.CheckConstraint(
            "status IN ('waiting', 'ready', 'fulfilled', 'cancelled', 'expired')",
            name=op.f("ck_holds_hold_status"),
        ),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["books.id"],
            name=op.f("fk_holds_book_id_books"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_holds_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
    )
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.create_index(
            "ix_holds_book_status", ["book_id", "status", "id"], unique=False
        )
        batch_op.create_index(
            "uq_holds_open_per_user_book",
            ["user_id", "book_id"],
            unique=True,
            postgresql_where=sa.text("status IN ('waiting', 'ready')"),
            sqlite_where=sa.text("status IN ('waiting', 'ready')"),
        )

    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_idempotency_keys_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            "uq_idempotency_keys_user_scope_key",
            ["user_id", "scope", "key"],
            unique=True,
        )

    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("address", sa.String(length=255), server_default="", nullable=False),
        sa.Column("postcode", sa.String(length=20), server_default="", nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_organizations_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organizations_title"), ["title"], unique=False
        )

    op.create_table(
        "reading_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column(
            "started_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "ended_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at",
            name=op.f("ck_reading_sessions_ends_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["books.id"],
            name=op.f("fk_reading_sessions_book_id_books"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_reading_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_sessions")),
    )
    with op.batch_alter_table("reading_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reading_sessions_book_user", ["book_id", "user_id"], unique=False
        )
        batch_op.create_index(
            "ix_reading_sessions_user_started", ["user_id", "started_at"], unique=False
        )
        batch_op.create_index(
            "uq_reading_sessions_open_per_user",
            ["user_id"],
            unique=True,
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        )

    op.create_table(
        "refresh_tokens",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "issued_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "used_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "revoked_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_refresh_tokens")),
    )
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refresh_tokens_family_id"), ["family_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_refresh_tokens_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("specification", sa.Text(), server_default="", nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("performer_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('NEW', 'IN_WORK', 'COMPLETED')",
            name=op.f("ck_tasks_task_status"),
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["users.id"],
            name=op.f("fk_tasks_creator_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["performer_id"],
            ["users.id"],
            name=op.f("fk_tasks_performer_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("name", name=op.f("uq_tasks_name")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tasks_creator_id"), ["creator_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tasks_due_date"), ["due_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tasks_performer_id"), ["performer_id"], unique=False
        )

    op.create_table(
        "user_achievements",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column(
            "unlocked_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_achievements_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "code", name=op.f("pk_user_achievements")),
    )
    op.create_table(
        "user_session_stats",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("total_seconds", sa.BigInteger(), nullable=False),
        sa.Column("last_7_days_seconds", sa.BigInteger(), nullable=False),
        sa.Column("last_30_days_seconds", sa.BigInteger(), nullable=False),
        sa.Column("books_read", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_session_stats_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_session_stats")),
    )
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "created_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_comments_author_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_comments_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_comments_task_id"), ["task_id"], unique=False
        )

    op.create_table(
        "event_organizations",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_organizations_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_event_organizations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "event_id", "organization_id", name=op.f("pk_event_organizations")
        ),
    )
    with op.batch_alter_table("event_organizations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_organizations_organization_id"),
            ["organization_id"],
            unique=False,
        )

    op.create_table(
        "focus_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("focus_minutes", sa.Integer(), nullable=False),
        sa.Column("break_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "started_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "ends_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "ended_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'stopped', 'completed')",
            name=op.f("ck_focus_sessions_focus_status"),
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["focus_categories.id"],
            name=op.f("fk_focus_sessions_category_id_focus_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_focus_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_focus_sessions")),
    )
    with op.batch_alter_table("focus_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_focus_sessions_status_ends", ["status", "ends_at"], unique=False
        )
        batch_op.create_index(
            "ix_focus_sessions_user_started", ["user_id", "started_at"], unique=False
        )
        batch_op.create_index(
            "uq_focus_sessions_running_per_user",
            ["user_id"],
            unique=True,
            postgresql_where=sa.text("status = 'running'"),
            sqlite_where=sa.text("status = 'running'"),
        )

    op.create_table(
        "organization_members",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "joined_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_organization_members_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_organization_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "user_id", name=op.f("pk_organization_members")
        ),
    )
    with op.batch_alter_table("organization_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organization_members_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("borrowing_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column(
            "currency", sa.String(length=3), server_default="usd", nullable=False
        ),
        sa.Column("session_id", sa.String(length=255), nullable=True),
        sa.Column("session_url", sa.String(length=1000), nullable=True),
        sa.Column(
            "session_expires_at",
            adapters.sql.types.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "created_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "paid_at", adapters.sql.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.CheckConstraint(
            "status IN ('PENDING', 'PAID', 'EXPIRED')",
            name=op.f("ck_payments_payment_status"),
        ),
        sa.CheckConstraint(
            "type IN ('PAYMENT', 'FINE', 'PREMIUM')",
            name=op.f("ck_payments_payment_type"),
        ),
        sa.CheckConstraint(
            "amount_cents >= 0", name=op.f("ck_payments_amount_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["borrowing_id"],
            ["borrowings.id"],
            name=op.f("fk_payments_borrowing_id_borrowings"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_payments_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("session_id", name=op.f("uq_payments_session_id")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payments_borrowing_id"), ["borrowing_id"], unique=False
        )
        batch_op.create_index(
            "ix_payments_status_expiry", ["status", "session_expires_at"], unique=False
        )
        batch_op.create_index(
            "ix_payments_user_status", ["user_id", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_user_status")
        batch_op.drop_index("ix_payments_status_expiry")
        batch_op.drop_index(batch_op.f("ix_payments_borrowing_id"))

    op.drop_table("payments")
    with op.batch_alter_table("organization_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organization_members_user_id"))

    op.drop_table("organization_members")
    with op.batch_alter_table("focus_sessions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_focus_sessions_running_per_user",
            postgresql_where=sa.text("status = 'running'"),
            sqlite_where=sa.text("status = 'running'"),
        )
        batch_op.drop_index("ix_focus_sessions_user_started")
        batch_op.drop_index("ix_focus_sessions_status_ends")

    op.drop_table("focus_sessions")
    with op.batch_alter_table("event_organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_organizations_organization_id"))

    op.drop_table("event_organizations")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comments_task_id"))

    op.drop_table("comments")
    op.drop_table("user_session_stats")
    op.drop_table("user_achievements")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_performer_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_due_date"))
        batch_op.drop_index(batch_op.f("ix_tasks_creator_id"))

    op.drop_table("tasks")
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_user_id"))
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_family_id"))

    op.drop_table("refresh_tokens")
    with op.batch_alter_table("reading_sessions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_reading_sessions_open_per_user",
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        )
        batch_op.drop_index("ix_reading_sessions_user_started")
        batch_op.drop_index("ix_reading_sessions_book_user")

    op.drop_table("reading_sessions")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organizations_title"))

    op.drop_table("organizations")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index("uq_idempotency_keys_user_scope_key")

    op.drop_table("idempotency_keys")
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_holds_open_per_user_book",
            postgresql_where=sa.text("status IN ('waiting', 'ready')"),
            sqlite_where=sa.text("status IN ('waiting', 'ready')"),
        )
        batch_op.drop_index("ix_holds_book_status")

    op.drop_table("holds")
    with op.batch_alter_table("focus_categories", schema=None) as batch_op:
        batch_op.drop_index("uq_focus_categories_user_name")

    op.drop_table("focus_categories")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_status_date")
        batch_op.drop_index("ix_events_status_available")

    op.drop_table("events")
    with op.batch_alter_table("email_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_changes_user_id"))

    op.drop_table("email_changes")
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_messages_room")
        batch_op.drop_index("ix_chat_messages_recipient")
        batch_op.drop_index("ix_chat_messages_pair")

    op.drop_table("chat_messages")
    with op.batch_alter_table("borrowings", schema=None) as batch_op:
        batch_op.drop_index("ix_borrowings_user_active")
        batch_op.drop_index(
            "ix_borrowings_due",
            postgresql_where=sa.text("actual_return_date IS NULL"),
            sqlite_where=sa.text("actual_return_date IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_borrowings_book_id"))

    op.drop_table("borrowings")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_country")

    op.drop_table("users")
    op.drop_table("stripe_events")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outbox")
    op.drop_table("music_tracks")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_job_runs_job_started")

    op.drop_table("job_runs")
    with op.batch_alter_table("books", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_books_publish_year"))
        batch_op.drop_index(batch_op.f("ix_books_author"))

    op.drop_table("books")
