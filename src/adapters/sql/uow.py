"""Unit of work over one SQLAlchemy Core connection.

Repositories are thin views over the unit of work's connection; nothing commits but
``commit()``. Leaving the block without it rolls back. A read-only unit of work runs
without a write lock on SQLite and in autocommit mode on Postgres (no BEGIN/COMMIT
round trips for queries).
"""

from __future__ import annotations

from typing import Self

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql.community import SqlEventRepository, SqlOrganizationRepository
from adapters.sql.engine import READ_ONLY
from adapters.sql.identity import SqlRefreshTokenRepository, SqlSessionStatsRepository, SqlUserRepository
from adapters.sql.outbox import SqlOutbox
from application.errors import ServiceUnavailable


class SqlUnitOfWork:
    def __init__(self, engine: AsyncEngine, *, read_only: bool = False) -> None:
        self._engine = engine
        self._read_only = read_only
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        try:
            conn = await self._engine.connect()
        except (DBAPIError, OSError) as exc:
            raise ServiceUnavailable("The database is unavailable.") from exc
        if self._read_only:
            options = {READ_ONLY: True}
            if self._engine.dialect.name != "sqlite":
                options["isolation_level"] = "AUTOCOMMIT"
            await conn.execution_options(**options)
        await conn.begin()
        self._conn = conn
        return self

    async def __aexit__(self, *exc: object) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                await conn.rollback()
        finally:
            await conn.close()

    async def commit(self) -> None:
        await self.connection.commit()

    @property
    def connection(self) -> AsyncConnection:
        if self._conn is None:
            msg = "the unit of work is not open: use `async with uow:`"
            raise RuntimeError(msg)
        return self._conn

    # -- identity
    @property
    def users(self) -> SqlUserRepository:
        return SqlUserRepository(self.connection)

    @property
    def refresh_tokens(self) -> SqlRefreshTokenRepository:
        return SqlRefreshTokenRepository(self.connection)

    @property
    def session_stats(self) -> SqlSessionStatsRepository:
        return SqlSessionStatsRepository(self.connection)

    # -- community
    @property
    def organizations(self) -> SqlOrganizationRepository:
        return SqlOrganizationRepository(self.connection)

    @property
    def events(self) -> SqlEventRepository:
        return SqlEventRepository(self.connection)

    # -- outbox
    @property
    def outbox(self) -> SqlOutbox:
        return SqlOutbox(self.connection)
