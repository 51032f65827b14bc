"""The schema: one declarative class per table, shared by Postgres and SQLite.

These classes are the ORM's view of the database (the admin UI browses them) and the
``Table`` objects that the repositories query with SQLAlchemy Core. They never leave the
adapter: repositories map rows to domain entities (``mappers.py``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from adapters.sql.types import UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime(), date: Date(), dict[str, Any]: JSON()}


def _partial(column_sql: str) -> dict[str, Any]:
    """``WHERE`` clause of a partial index, for both dialects."""
    return {"postgresql_where": text(column_sql), "sqlite_where": text(column_sql)}


# --------------------------------------------------------------------------- identity


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32))
    date_of_birth: Mapped[date | None]
    country: Mapped[str | None] = mapped_column(String(64))
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    is_premium: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_users_country", "country"),)

    def __str__(self) -> str:
        return f"{self.username} <{self.email}>"


class SessionStatsRow(Base):
    """``session_stats``: reading statistics per user, refreshed by the ``reading_stats`` job."""

    __tablename__ = "user_session_stats"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    total_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    last_7_days_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    last_30_days_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    books_read: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None]


class RefreshTokenRow(Base):
    __tablename__ = "refresh_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class EmailChangeRow(Base):
    """A pending email change; the emailed token is stored only as a hash."""

    __tablename__ = "email_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    new_email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


# --------------------------------------------------------------------------- catalog and reading


class BookRow(Base):
    __tablename__ = "books"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    author: Mapped[str] = mapped_column(String(255), index=True)
    publish_year: Mapped[int] = mapped_column(Integer, index=True)
    short_description: Mapped[str] = mapped_column(String(500), default="", server_default="")
    full_description: Mapped[str] = mapped_column(Text, default="", server_default="")
    cover: Mapped[str] = mapped_column(String(4), default="HARD", server_default="HARD")
    inventory: Mapped[int] = mapped_column(Integer)
    daily_fee_cents: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("inventory >= 0", name="inventory_not_negative"),
        CheckConstraint("daily_fee_cents >= 0", name="daily_fee_not_negative"),
        CheckConstraint("cover IN ('HARD', 'SOFT')", name="cover_kind"),
    )

    def __str__(self) -> str:
        return f"{self.title} ({self.author})"


class ReadingSessionRow(Base):
    __tablename__ = "reading_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    book_id: Mapped[int] = mapped_column(ForeignKey("books.id", ondelete="CASCADE"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    __table_args__ = (
        # At most one open session per user, enforced by the database.
        Index("uq_reading_sessions_open_per_user", "user_id", unique=True, **_partial("ended_at IS NULL")),
        Index("ix_reading_sessions_book_user", "book_id", "user_id"),
        Index("ix_reading_sessions_user_started", "user_id", "started_at"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
    )


# --------------------------------------------------------------------------- circulation and payments


class BorrowingRow(Base):
    __tablename__ = "borrowings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    book_id: Mapped[int] = mapped_column(ForeignKey("books.id", ondelete="RESTRICT"), index=True)
    borrow_date: Mapped[date]
    expected_return_date: Mapped[date]
    actual_return_date: Mapped[date | None]
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_borrowings_user_active", "user_id", "actual_return_date"),
        Index("ix_borrowings_due", "expected_return_date", **_partial("actual_return_date IS NULL")),
    )


class PaymentRow(Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    borrowing_id: Mapped[int | None] = mapped_column(ForeignKey("borrowings.id", ondelete="RESTRICT"), index=True)
    type: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="usd", server_default="usd")
    session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    session_url: Mapped[str | None] = mapped_column(String(1000))
    session_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_payments_user_status", "user_id", "status"),
        Index("ix_payments_status_expiry", "status", "session_expires_at"),
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
        CheckConstraint("type IN ('PAYMENT', 'FINE', 'PREMIUM')", name="payment_type"),
        CheckConstraint("status IN ('PENDING', 'PAID', 'EXPIRED')", name="payment_status"),
    )


class IdempotencyKeyRow(Base):
    """The first result of a write that charges money, keyed by the client's Idempotency-Key."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]

    __table_args__ = (Index("uq_idempotency_keys_user_scope_key", "user_id", "scope", "key", unique=True),)


class StripeEventRow(Base):
    """Webhook events already applied (Stripe delivers at least once)."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]


class HoldRow(Base):
    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    book_id: Mapped[int] = mapped_column(ForeignKey("books.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]
    ready_at: Mapped[datetime | None]
    ready_until: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    __table_args__ = (
        Index(
            "uq_holds_open_per_user_book",
            "user_id",
            "book_id",
            unique=True,
            **_partial("status IN ('waiting', 'ready')"),
        ),
        Index("ix_holds_book_status", "book_id", "status", "id"),
        CheckConstraint("status IN ('waiting', 'ready', 'fulfilled', 'cancelled', 'expired')", name="hold_status"),
    )


class OverdueDigestRow(Base):
    """The days whose overdue digest was sent (the daily job sends one per day, however
    often it runs)."""

    __tablename__ = "overdue_digests"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sent_at: Mapped[datetime]


# --------------------------------------------------------------------------- organizations and events


class OrganizationRow(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(255), index=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    address: Mapped[str] = mapped_column(String(255), default="", server_default="")
    postcode: Mapped[str] = mapped_column(String(20), default="", server_default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    def __str__(self) -> str:
        return self.title


class OrganizationMemberRow(Base):
    __tablename__ = "organization_members"

    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    joined_at: Mapped[datetime]


class EventRow(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    date: Mapped[date | None]
    image_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10))
    available_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_events_status_available", "status", "available_at"),
        Index("ix_events_status_date", "status", "date"),
        CheckConstraint("status IN ('scheduled', 'published')", name="event_status"),
    )

    def __str__(self) -> str:
        return self.title


class EventOrganizationRow(Base):
    __tablename__ = "event_organizations"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, index=True
    )


# --------------------------------------------------------------------------- tasks and comments


class TaskRow(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    specification: Mapped[str] = mapped_column(Text, default="", server_default="")
    due_date: Mapped[date] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(10))
    creator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    performer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("status IN ('NEW', 'IN_WORK', 'COMPLETED')", name="task_status"),)

    def __str__(self) -> str:
        return self.name


class CommentRow(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


# --------------------------------------------------------------------------- outbox and jobs


class OutboxRow(Base):
    """Side effects outside the database (email, Telegram), written in the transaction of
    the change that causes them and delivered by the ``send_outbox`` job."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="outbox_status"),
    )


class JobRunRow(Base):
    """One run of a periodic job (who ran it, when, how it ended)."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    node: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)


# --------------------------------------------------------------------------- focus timer


class FocusCategoryRow(Base):
    __tablename__ = "focus_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    color: Mapped[str] = mapped_column(String(16))

    __table_args__ = (Index("uq_focus_categories_user_name", "user_id", "name", unique=True),)


class FocusSessionRow(Base):
    __tablename__ = "focus_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("focus_categories.id", ondelete="SET NULL"))
    focus_minutes: Mapped[int] = mapped_column(Integer)
    break_minutes: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(10))
    # The time zone the session was started in ("UTC", "+02:00" or an IANA name): the calendar
    # day of its completion, for streaks, is read on that wall clock.
    tz: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")

    __table_args__ = (
        Index("uq_focus_sessions_running_per_user", "user_id", unique=True, **_partial("status = 'running'")),
        Index("ix_focus_sessions_status_ends", "status", "ends_at"),
        Index("ix_focus_sessions_user_started", "user_id", "started_at"),
        CheckConstraint("status IN ('running', 'stopped', 'completed')", name="focus_status"),
    )


class AchievementRow(Base):
    __tablename__ = "user_achievements"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    unlocked_at: Mapped[datetime]


class MusicTrackRow(Base):
    __tablename__ = "music_tracks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime]

    def __str__(self) -> str:
        return self.title


# --------------------------------------------------------------------------- chat


class ChatMessageRow(Base):
    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    room: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_chat_messages_pair", "sender_id", "recipient_id", "id"),
        Index("ix_chat_messages_recipient", "recipient_id", "sender_id", "id"),
        Index("ix_chat_messages_room", "room", "id"),
        CheckConstraint("(recipient_id IS NULL) <> (room IS NULL)", name="direct_or_room"),
    )


def _table(row: type[Base]) -> Table:
    """A mapped class's table, typed as the ``Table`` it is (SQLAlchemy declares ``FromClause``)."""
    table = row.__table__
    if not isinstance(table, Table):  # pragma: no cover - every row class here maps one table
        raise TypeError(f"{row.__name__} does not map a table")
    return table


users = _table(UserRow)
session_stats = _table(SessionStatsRow)
refresh_tokens = _table(RefreshTokenRow)
email_changes = _table(EmailChangeRow)
books = _table(BookRow)
reading_sessions = _table(ReadingSessionRow)
borrowings = _table(BorrowingRow)
payments = _table(PaymentRow)
idempotency_keys = _table(IdempotencyKeyRow)
stripe_events = _table(StripeEventRow)
holds = _table(HoldRow)
overdue_digests = _table(OverdueDigestRow)
organizations = _table(OrganizationRow)
organization_members = _table(OrganizationMemberRow)
events = _table(EventRow)
event_organizations = _table(EventOrganizationRow)
tasks = _table(TaskRow)
comments = _table(CommentRow)
outbox = _table(OutboxRow)
job_runs = _table(JobRunRow)
focus_categories = _table(FocusCategoryRow)
focus_sessions = _table(FocusSessionRow)
achievements = _table(AchievementRow)
music_tracks = _table(MusicTrackRow)
chat_messages = _table(ChatMessageRow)
metadata = Base.metadata
