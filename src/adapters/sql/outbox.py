"""The outbox table: add in the caller's transaction, claim with SKIP LOCKED, record outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.driver import HotStatement, bound_values
from adapters.sql.tables import outbox
from application.ports.outbox import ClaimedMessage, OutboxMessage, OutboxStats

PENDING, SENT, FAILED = "pending", "sent", "failed"

_ADD = HotStatement(
    insert(outbox).values(
        **bound_values("kind", "payload", "status", "attempts", "max_attempts", "next_attempt_at", "created_at")
    )
)


class SqlOutbox:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, message: OutboxMessage, *, now: datetime) -> None:
        await _ADD.execute(
            self._conn,
            {
                "kind": message.kind,
                "payload": dict(message.payload),
                "status": PENDING,
                "attempts": 0,
                "max_attempts": message.retry.max_attempts,
                "next_attempt_at": now,
                "created_at": now,
            },
        )

    async def claim_due(self, *, now: datetime, lease_until: datetime, limit: int) -> Sequence[ClaimedMessage]:
        due = (
            select(outbox.c.id)
            .where(
                outbox.c.status == PENDING,
                outbox.c.next_attempt_at <= now,
                or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
            )
            .order_by(outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = (
            update(outbox)
            .where(outbox.c.id.in_(due.scalar_subquery()))
            .values(claimed_until=lease_until)
            .returning(
                outbox.c.id,
                outbox.c.kind,
                outbox.c.payload,
                outbox.c.attempts,
                outbox.c.max_attempts,
                outbox.c.created_at,
            )
        )
        rows = (await self._conn.execute(claimed)).all()
        return sorted(
            (
                ClaimedMessage(
                    id=row.id,
                    kind=row.kind,
                    payload=row.payload,
                    attempts=row.attempts,
                    max_attempts=row.max_attempts,
                    created_at=row.created_at,
                )
                for row in rows
            ),
            key=lambda message: message.id,
        )

    async def mark_sent(self, message_id: int, *, now: datetime) -> None:
        await self._conn.execute(
            update(outbox)
            .where(outbox.c.id == message_id)
            .values(status=SENT, sent_at=now, claimed_until=None, attempts=outbox.c.attempts + 1)
        )

    async def mark_retry(self, message_id: int, *, attempts: int, next_attempt_at: datetime, error: str) -> None:
        await self._conn.execute(
            update(outbox)
            .where(outbox.c.id == message_id)
            .values(attempts=attempts, next_attempt_at=next_attempt_at, claimed_until=None, last_error=error)
        )

    async def mark_failed(self, message_id: int, *, attempts: int, now: datetime, error: str) -> None:  # noqa: ARG002
        await self._conn.execute(
            update(outbox)
            .where(outbox.c.id == message_id)
            .values(status=FAILED, attempts=attempts, claimed_until=None, last_error=error)
        )

    async def stats(self, *, now: datetime) -> OutboxStats:
        rows = (
            await self._conn.execute(
                select(outbox.c.status, outbox.c.kind, func.count(), func.min(outbox.c.created_at))
                .where(outbox.c.status.in_((PENDING, FAILED)))
                .group_by(outbox.c.status, outbox.c.kind)
            )
        ).all()
        pending = sum(row[2] for row in rows if row[0] == PENDING)
        failed = sum(row[2] for row in rows if row[0] == FAILED)
        oldest = [row[3] for row in rows if row[0] == PENDING and row[3] is not None]
        age = 0.0
        if oldest:
            first = min(oldest)
            if isinstance(first, str):
                first = datetime.fromisoformat(first).replace(tzinfo=now.tzinfo)
            elif first.tzinfo is None:
                first = first.replace(tzinfo=now.tzinfo)
            age = max(0.0, (now - first).total_seconds())
        by_kind = {row[1]: row[2] for row in rows if row[0] == PENDING}
        return OutboxStats(pending=pending, failed=failed, oldest_pending_age_seconds=age, by_kind=by_kind)
