"""What one statement costs in CPU on each layer: raw psycopg, SQLAlchemy's async Core on one
connection, SQLAlchemy with a pool checkout per statement (as a unit of work does), the same
checkout with the statement run by ``HotStatement`` (adapters/sql/driver.py), and then the
service's own units of work: a writing one with 0, 1 and 5 hot statements (so what BEGIN and
COMMIT cost, and what each further round trip costs a write) and a read-only one.

    uv run python bench/statement_cost.py [postgresql://postgres@127.0.0.1:5432/athenaeum_bench]

Runs the per-request authentication SELECT (``users.id = 1``) a few thousand times, one at a
time, and prints wall and CPU microseconds per execution. Needs a migrated database with a
user 1 (``just bench`` leaves one: athenaeum_bench).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psycopg
import uvloop
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from adapters.sql.driver import HotStatement
from adapters.sql.engine import create_engine, read_only_view
from adapters.sql.tables import users
from adapters.sql.uow import SqlUnitOfWork

N, WARMUP = 3000, 200
RAW_SQL = "SELECT users.is_active, users.is_admin, users.is_premium FROM users WHERE users.id = %s"
STATEMENT = select(users.c.is_active, users.c.is_admin, users.c.is_premium).where(users.c.id == 1)


async def timed(label: str, once: Callable[[], Awaitable[Any]]) -> float:
    """Print and return the CPU microseconds per call."""
    for _ in range(WARMUP):
        await once()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(N):
        await once()
    wall_us = (time.perf_counter() - wall) / N * 1e6
    cpu_us = (time.process_time() - cpu) / N * 1e6
    print(f"{label:48s} wall {wall_us:6.0f} µs   cpu {cpu_us:6.0f} µs")
    return cpu_us


async def main(url: str) -> None:
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)

    async def raw() -> Any:
        return await (await conn.execute(RAW_SQL, (1,))).fetchone()

    await timed("psycopg, one connection, autocommit", raw)
    await conn.close()

    sa_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine: AsyncEngine = create_async_engine(sa_url)
    held = await engine.connect()
    await held.execution_options(isolation_level="AUTOCOMMIT")

    async def same_connection() -> Any:
        return (await held.execute(STATEMENT)).first()

    await timed("SQLAlchemy Core, one connection, autocommit", same_connection)
    await held.close()

    async def checkout_switch() -> Any:
        async with engine.connect() as c:
            await c.execution_options(isolation_level="AUTOCOMMIT")
            return (await c.execute(STATEMENT)).first()

    async def checkout_transaction() -> Any:
        async with engine.connect() as c, c.begin():
            return (await c.execute(STATEMENT)).first()

    await timed("SQLAlchemy, checkout + autocommit switch", checkout_switch)
    await timed("SQLAlchemy, checkout + BEGIN/COMMIT", checkout_transaction)
    await engine.dispose()

    autocommit_engine = create_async_engine(sa_url, isolation_level="AUTOCOMMIT")

    async def checkout_autocommit_engine() -> Any:
        async with autocommit_engine.connect() as c:
            return (await c.execute(STATEMENT)).first()

    await timed("SQLAlchemy, checkout from an autocommit engine", checkout_autocommit_engine)

    hot = HotStatement(STATEMENT)

    async def checkout_hot_statement() -> Any:
        async with autocommit_engine.connect() as c:
            return await hot.first(c)

    await timed("same checkout, HotStatement (psycopg underneath)", checkout_hot_statement)
    await autocommit_engine.dispose()
    await units_of_work(sa_url)


async def units_of_work(sa_url: str) -> None:
    """What the service's own units of work cost around their statements (its engine: the
    begin hook, the read-only view), and so what one more round trip costs a write."""
    engine = create_engine(sa_url, pool_size=2)
    reader_engine = read_only_view(engine)
    hot = HotStatement(STATEMENT)
    cpu: dict[int, float] = {}

    def writer(statements: int) -> Callable[[], Awaitable[Any]]:
        async def once() -> Any:
            async with SqlUnitOfWork(engine) as uow:
                for _ in range(statements):
                    await hot.first(uow.connection)
                await uow.commit()

        return once

    async def reader() -> Any:
        async with SqlUnitOfWork(reader_engine, read_only=True) as uow:
            return await hot.first(uow.connection)

    for n in (0, 1, 5):
        cpu[n] = await timed(f"writing unit of work, {n} hot statement(s)", writer(n))
    await timed("read-only unit of work, 1 hot statement", reader)
    per_statement = (cpu[5] - cpu[1]) / 4
    print(f"-> checkout + BEGIN + COMMIT ~ {cpu[0]:.0f} µs of CPU; each further hot statement ~ {per_statement:.0f} µs")
    await engine.dispose()


if __name__ == "__main__":
    uvloop.run(main(sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@127.0.0.1:5432/athenaeum_bench"))
