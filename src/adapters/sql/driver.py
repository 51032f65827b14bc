"""The statements on every request's path, run on the psycopg connection under SQLAlchemy.

SQLAlchemy's async Core costs ~110-120 µs of CPU per statement on this machine against raw
psycopg's ~50 µs (``bench/statement_cost.py``): execution context, a greenlet hop per call,
the cursor wrapper, the result object. That is most of a cached read's database CPU, and
reading start or borrow run several statements each.

``HotStatement`` compiles a Core statement once per dialect. On Postgres it executes it with
psycopg directly on the unit of work's own connection (so in the same transaction and under
the same locks), applying the column types' bind and result processors as SQLAlchemy would,
and turns psycopg's errors into SQLAlchemy's (an ``IntegrityError`` is still one; a lost
connection is invalidated, as SQLAlchemy would do). Rows come back as named tuples with the
statement's column names, so repositories read them as they read SQLAlchemy rows
(``row.title``). Any other dialect (SQLite) runs the statement through SQLAlchemy, and so
does Postgres while anything listens to SQLAlchemy's statement events (``echo``, tracing,
tests that count queries), so that it sees every statement.

Only plain statements qualify: no expanding ``IN`` lists, no post-compile parameters, no
column left to a Python-side default, unique column names (checked when first compiled).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from typing import Any

import psycopg
from sqlalchemy import bindparam
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.base import Executable

Processor = Callable[[Any], Any]


class _Compiled:
    __slots__ = ("_processors", "columns", "compiled", "results", "row", "sql")

    def __init__(self, statement: Any, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.positiontup or compiled.post_compile_params or compiled.literal_execute_params:
            msg = f"not a plain statement (positional or post-compile parameters): {compiled.string[:80]}"
            raise ValueError(msg)
        prefetched = [column.key for column in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        if prefetched:  # SQLAlchemy computes these defaults while it executes: give them values
            msg = f"columns with Python-side defaults need explicit values: {prefetched}"
            raise ValueError(msg)
        self.sql: str = compiled.string
        self.compiled = compiled
        columns = list(statement.exported_columns.items())  # a SELECT's, or an INSERT's RETURNING
        self.columns = [name for name, _ in columns]
        if len(set(self.columns)) != len(self.columns) or not all(name.isidentifier() for name in self.columns):
            msg = f"column names must be unique identifiers: {self.columns}"
            raise ValueError(msg)
        self.results: list[tuple[int, Processor]] = []
        for index, (_, column) in enumerate(columns):
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                self.results.append((index, process))
        self.row: Any = namedtuple("Row", self.columns) if self.columns else None  # noqa: PYI024 - built at run time
        self._processors: dict[str, Processor] = {}
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self._processors[name] = process

    def parameters(self, values: Mapping[str, Any] | None) -> dict[str, Any]:
        params: dict[str, Any] = self.compiled.construct_params(values or {})
        for name, process in self._processors.items():
            params[name] = process(params[name])
        return params

    def rows(self, raw: list[tuple[Any, ...]]) -> list[Any]:
        make = self.row._make
        if not self.results:
            return [make(values) for values in raw]
        out = []
        for values in raw:
            processed = list(values)
            for index, process in self.results:
                processed[index] = process(processed[index])
            out.append(make(processed))
        return out


def bound_values(*columns: str) -> dict[str, Any]:
    """``insert(table).values(**bound_values("a", "b"))``: each column set from the parameter
    of its own name (a ``HotStatement`` needs every value bound, none left to defaults)."""
    return {column: bindparam(column) for column in columns}


class HotStatement:
    """A Core statement executed on the driver directly where the dialect is Postgres."""

    __slots__ = ("_by_dialect", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = _Compiled(self.statement, dialect)
        return compiled

    async def rows(self, conn: AsyncConnection, values: Mapping[str, Any] | None = None) -> list[Any]:
        """Every row (named tuples); ``[]`` for a statement that returns none."""
        return (await self._run(conn, values))[0]

    async def execute(self, conn: AsyncConnection, values: Mapping[str, Any] | None = None) -> int:
        """Run it; the number of rows it touched."""
        return (await self._run(conn, values))[1]

    async def _run(self, conn: AsyncConnection, values: Mapping[str, Any] | None) -> tuple[list[Any], int]:
        dialect = conn.dialect
        if dialect.name != "postgresql" or _observed(conn):
            result = await conn.execute(self.statement, dict(values or {}))
            return (list(result.all()) if result.returns_rows else []), result.rowcount
        compiled = self._compiled(dialect)
        params = compiled.parameters(values)
        raw = await _raw_connection(conn)
        fetched: list[tuple[Any, ...]] = []
        try:
            driver: Any = raw.driver_connection  # psycopg's AsyncConnection
            cursor = driver.cursor()
            try:
                await cursor.execute(compiled.sql, params)
                if compiled.row is not None:
                    fetched = await cursor.fetchall()
                touched = cursor.rowcount
            finally:
                await cursor.close()
        except psycopg.Error as exc:
            raise await _as_sqlalchemy_error(conn, raw, compiled.sql, params, exc) from exc
        return compiled.rows(fetched) if fetched else [], touched

    async def first(self, conn: AsyncConnection, values: Mapping[str, Any] | None = None) -> Any | None:
        found = await self.rows(conn, values)
        return found[0] if found else None

    async def scalar(self, conn: AsyncConnection, values: Mapping[str, Any] | None = None) -> Any:
        row = await self.first(conn, values)
        return None if row is None else row[0]


async def _raw_connection(conn: AsyncConnection) -> Any:
    """The pooled DBAPI connection the unit of work holds. While it holds one (neither
    closed nor invalidated), SQLAlchemy returns it without I/O, so no greenlet hop is
    needed; otherwise ``get_raw_connection`` does what SQLAlchemy does (reconnect or raise)."""
    sync = conn.sync_connection
    if sync is not None and not sync.closed and not sync.invalidated:
        return sync.connection
    return await conn.get_raw_connection()


def _observed(conn: AsyncConnection) -> bool:
    sync = conn.sync_connection
    return sync is not None and statements_observed(sync)


def statements_observed(conn: Connection) -> bool:
    """Something listens to SQLAlchemy's statements on ``conn`` (``echo``, a tracer, a test
    counting queries): then a statement goes through SQLAlchemy, so that they see it."""
    return bool(conn.dispatch.before_cursor_execute or conn.dispatch.after_cursor_execute or conn.engine.echo)


async def _as_sqlalchemy_error(
    conn: AsyncConnection, raw: Any, sql: str, params: dict[str, Any], exc: psycopg.Error
) -> StatementError:
    """What SQLAlchemy would raise for ``exc``, after invalidating a lost connection."""
    error: Any = exc
    lost = bool(conn.dialect.is_disconnect(error, raw, None))
    if lost:
        await conn.invalidate()
    return DBAPIError.instance(sql, params, exc, psycopg.Error, connection_invalidated=lost, dialect=conn.dialect)
