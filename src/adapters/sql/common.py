"""Helpers shared by the SQL repositories."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from application.results import Page, PageRequest


def constraint_of(exc: IntegrityError) -> str:
    """The name (Postgres) or message (SQLite) of the constraint that refused a write."""
    orig: Any = exc.orig
    diag = getattr(orig, "diag", None)
    name = getattr(diag, "constraint_name", None) if diag is not None else None
    return str(name or orig)


async def count(conn: AsyncConnection, query: Select[Any]) -> int:
    """``COUNT(*)`` of a filtered query without its ordering, limit or offset."""
    counted = select(func.count()).select_from(query.order_by(None).limit(None).offset(None).subquery())
    return int(await conn.scalar(counted) or 0)


async def paged(conn: AsyncConnection, query: Select[Any], page: PageRequest, to_item: Any) -> Page[Any]:
    rows = (await conn.execute(query.limit(page.limit).offset(page.offset))).all()
    if page.offset == 0 and len(rows) < page.limit:
        total = len(rows)  # the whole collection fits in this page: no second query
    else:
        total = await count(conn, query)
    return Page(items=[to_item(row) for row in rows], total=total, limit=page.limit, offset=page.offset)
