"""The unit of work: one transaction, the repositories that work inside it."""

from __future__ import annotations

from typing import Protocol, Self

from application.ports.identity import ProfileReader, RefreshTokenRepository, SessionStatsRepository, UserRepository
from application.ports.outbox import Outbox


class UnitOfWork(Protocol):
    """``async with uow:`` opens a transaction; leaving the block without ``commit()``
    rolls back. Repositories never commit; the use case does, once."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


class IdentityUnitOfWork(UnitOfWork, Protocol):
    users: UserRepository
    refresh_tokens: RefreshTokenRepository
    session_stats: SessionStatsRepository
    profiles: ProfileReader


class OutboxUnitOfWork(UnitOfWork, Protocol):
    outbox: Outbox
