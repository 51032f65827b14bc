"""Leader election for the scheduler.

Postgres: a session-level advisory lock held on a dedicated connection; it is released
when the holder exits or its connection dies, and another process takes over.
SQLite: an exclusive ``flock`` on a file next to the database (one machine by nature).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import zlib
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

LOCK_NAME = "athenaeum-scheduler"
LOCK_KEY = zlib.crc32(LOCK_NAME.encode())  # a stable 32-bit key for pg_try_advisory_lock


class PostgresAdvisoryLock:
    def __init__(self, engine: AsyncEngine, key: int = LOCK_KEY) -> None:
        self._engine = engine
        self._key = key
        self._conn: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        if self._conn is not None:
            return await self.still_held()
        try:
            conn = await self._engine.connect()
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}))
        except (DBAPIError, OSError):
            return False
        if got:
            self._conn = conn
        else:
            await conn.close()
        return got

    async def still_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            held = await self._conn.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid() AND objid = :key"
                ),
                {"key": self._key},
            )
        except (DBAPIError, OSError):
            await self._drop()
            return False
        if not held:
            await self._drop()
        return bool(held)

    async def release(self) -> None:
        if self._conn is None:
            return
        with contextlib.suppress(DBAPIError, OSError):
            await self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except (DBAPIError, OSError):
                await conn.invalidate()


class FileLock:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: IO[str] | None = None

    async def try_acquire(self) -> bool:
        if self._file is not None:
            return True
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle = self._path.open("a")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    async def still_held(self) -> bool:
        return self._file is not None

    async def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


def leader_lock(engine: AsyncEngine, fallback_dir: str) -> PostgresAdvisoryLock | FileLock:
    url = make_url(str(engine.url))
    if url.get_backend_name() == "postgresql":
        return PostgresAdvisoryLock(engine)
    database = url.database
    if database and database != ":memory:":
        return FileLock(Path(database).with_suffix(".scheduler-lock"))
    return FileLock(Path(fallback_dir) / "scheduler.lock")
