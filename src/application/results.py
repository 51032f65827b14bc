"""Small, frozen results returned by use cases to their callers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a collection, with the size of the whole collection."""

    items: Sequence[T]
    total: int
    limit: int
    offset: int
