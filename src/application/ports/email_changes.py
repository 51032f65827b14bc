"""Ports of the email-change flow."""

from __future__ import annotations

from typing import Protocol

from application.ports.identity import SessionStatsRepository, UserRepository
from application.ports.outbox import Outbox
from application.ports.uow import UnitOfWork
from domain.email_change import EmailChange
from domain.shared import UserId


class EmailChangeRepository(Protocol):
    async def add(self, change: EmailChange) -> EmailChange: ...

    async def get_for_update(self, token_hash: str) -> EmailChange | None: ...

    async def save(self, change: EmailChange) -> None: ...

    async def discard_pending(self, user_id: UserId) -> None:
        """Forget the user's unused requests (a newer request or a confirmation supersedes them)."""
        ...

    async def email_taken(self, email: str, *, except_user: UserId) -> bool:
        """Whether another account already uses ``email`` (lower-cased)."""
        ...


class EmailChangeUnitOfWork(UnitOfWork, Protocol):
    users: UserRepository
    session_stats: SessionStatsRepository
    email_changes: EmailChangeRepository
    outbox: Outbox
