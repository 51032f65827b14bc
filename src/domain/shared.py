"""Small value objects shared by every area."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NewType

UserId = NewType("UserId", int)
#: One id type for a book, whether the catalog or circulation handles it.
BookId = NewType("BookId", int)

DEFAULT_CURRENCY = "usd"


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in the smallest unit of ``currency`` (cents)."""

    cents: int
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        if self.cents < 0:
            msg = "money cannot be negative"
            raise ValueError(msg)

    def times(self, factor: int) -> Money:
        return Money(self.cents * factor, self.currency)


def ensure_aware(moment: datetime) -> datetime:
    """Return ``moment`` as an aware UTC datetime (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def has_control_characters(text: str, *, allow_newlines: bool = False) -> bool:
    """True when ``text`` holds control characters (NUL, escape codes…); newlines and tabs
    count only when ``allow_newlines`` is false."""
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)
