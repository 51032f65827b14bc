"""Shapes shared by every area: the collection envelope, PATCH helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import msgspec

from application.results import Page

T = TypeVar("T")
S = TypeVar("S")

#: Ids, offsets and counts are 32-bit integers in the database (Postgres ``integer``): a larger
#: number would fail there as a 500 instead of being refused here as invalid input.
MAX_INT = 2**31 - 1
MAX_ID = MAX_INT

#: Text that reaches the database cannot hold NUL: Postgres can neither store nor compare it
#: (a query with one fails with a 500). Refuse it at the edge as invalid input instead.
NO_NUL = "^[^\x00]*$"


class PageResponse(msgspec.Struct, Generic[T], kw_only=True):
    """Every collection: ``{items, total, limit, offset}``."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, page: Page[S], convert: Callable[[S], T]) -> PageResponse[T]:
        return cls(items=[convert(item) for item in page.items], total=page.total, limit=page.limit, offset=page.offset)


class DetailResponse(msgspec.Struct, kw_only=True):
    detail: str


def set_fields(struct: msgspec.Struct) -> frozenset[str]:
    """Names of the fields a PATCH body actually carried (``UNSET`` ones are absent)."""
    return frozenset(name for name in struct.__struct_fields__ if getattr(struct, name) is not msgspec.UNSET)


def value(raw: Any) -> Any:
    """``UNSET`` → ``None``, for fields that ``set_fields`` already told apart."""
    return None if raw is msgspec.UNSET else raw
