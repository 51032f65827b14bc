"""SQL repository of pending email changes (tokens stored as SHA-256 digests only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.tables import email_changes, users
from domain.email_change import EmailChange
from domain.shared import UserId


def _change_from_row(row: Any) -> EmailChange:
    return EmailChange(
        id=row.id,
        user_id=UserId(row.user_id),
        new_email=row.new_email,
        token_hash=row.token_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
    )


class SqlEmailChangeRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, change: EmailChange) -> EmailChange:
        new_id = await self._conn.scalar(
            insert(email_changes)
            .values(
                user_id=change.user_id,
                new_email=change.new_email,
                token_hash=change.token_hash,
                created_at=change.created_at,
                expires_at=change.expires_at,
                used_at=change.used_at,
            )
            .returning(email_changes.c.id)
        )
        change.id = int(new_id)
        return change

    async def get_for_update(self, token_hash: str) -> EmailChange | None:
        query = select(email_changes).where(email_changes.c.token_hash == token_hash).with_for_update()
        row = (await self._conn.execute(query)).first()
        return _change_from_row(row) if row else None

    async def save(self, change: EmailChange) -> None:
        await self._conn.execute(
            update(email_changes).where(email_changes.c.id == change.id).values(used_at=change.used_at)
        )

    async def discard_pending(self, user_id: UserId) -> None:
        await self._conn.execute(
            delete(email_changes).where(email_changes.c.user_id == user_id, email_changes.c.used_at.is_(None))
        )

    async def email_taken(self, email: str, *, except_user: UserId) -> bool:
        query = select(users.c.id).where(users.c.email == email.lower(), users.c.id != except_user).limit(1)
        return (await self._conn.scalar(query)) is not None
