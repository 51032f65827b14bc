"""A pooled connection that Postgres closed (an admin's ``pg_terminate_backend``, an idle
timeout, a restart) is replaced when it is checked out, instead of failing the request that
gets it. On the shared test server, terminating only this test's own connections."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from adapters.sql.engine import create_engine
from tests.figures import record

pytestmark = pytest.mark.postgres


async def test_connections_the_server_closed_are_replaced_at_checkout(
    database_urls: dict[str, str], backend: str
) -> None:
    assert backend == "postgres"
    engine = create_engine(database_urls["postgres"], pool_size=3, max_overflow=0)
    killer = create_engine(database_urls["postgres"], pool_size=1, max_overflow=0)
    try:
        held = [await engine.connect() for _ in range(3)]
        pids = [await conn.scalar(text("SELECT pg_backend_pid()")) for conn in held]
        for conn in held:
            await conn.close()  # back to the pool, idle
        async with killer.connect() as admin:
            for pid in pids:
                assert await admin.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        record("faults injected", len(pids))

        # Every pooled connection is dead; every checkout must still work at once.
        again = [await engine.connect() for _ in range(3)]
        fresh = [await conn.scalar(text("SELECT pg_backend_pid()")) for conn in again]
        for conn in again:
            await conn.close()
        assert not set(fresh) & set(pids)
    finally:
        await engine.dispose()
        await killer.dispose()
