"""A pooled connection that Postgres closed (an admin's ``pg_terminate_backend``, an idle
timeout, a restart) is replaced when it is checked out, instead of failing the request that
gets it. On the shared test server, terminating only this test's own connections."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from adapters.sql.engine import create_engine
from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.figures import record
from tests.integration.conftest import make_settings
from tests.integration.support import terminate_backends

pytestmark = pytest.mark.postgres


async def test_connections_the_server_closed_are_replaced_at_checkout(
    database_urls: dict[str, str], backend: str
) -> None:
    assert backend == "postgres"
    engine = create_engine(database_urls["postgres"], pool_size=3, max_overflow=0)
    try:
        held = [await engine.connect() for _ in range(3)]
        pids = [await conn.scalar(text("SELECT pg_backend_pid()")) for conn in held]
        for conn in held:
            await conn.close()  # back to the pool, idle
        await terminate_backends(engine, pids)
        record("faults injected", len(pids))

        # Every pooled connection is dead; every checkout must still work at once.
        again = [await engine.connect() for _ in range(3)]
        fresh = [await conn.scalar(text("SELECT pg_backend_pid()")) for conn in again]
        for conn in again:
            await conn.close()
        assert not set(fresh) & set(pids)
    finally:
        await engine.dispose()


async def test_a_request_that_finds_no_free_connection_gets_503_with_retry_after(
    database_urls: dict[str, str], backend: str, tmp_path: Path
) -> None:
    assert backend == "postgres"
    settings = make_settings(
        database_urls["postgres"], tmp_path, scheduler="off", db_pool_size=1, db_pool_timeout_seconds=1
    )
    container = build_container(settings)
    async with AsyncTestClient(create_app(container), base_url="http://testserver.local") as client:
        engine = container.gateways.engine()
        async with engine.connect():  # the pool's only connection, held by someone else
            busy = await client.get("/api/books")
        free = await client.get("/api/books")
    record("faults injected", 1)

    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "5"
    assert busy.headers["content-type"].startswith("application/problem+json")
    assert busy.json()["status"] == 503
    assert free.status_code == 200
