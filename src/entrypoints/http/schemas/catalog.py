"""Catalog and reading-session request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from application.ports.catalog import BookDetails, BookSummary
from application.use_cases.reading import ReadingSessionView
from domain.catalog import (
    AUTHOR_MAX,
    FULL_DESCRIPTION_MAX,
    MAX_INT,
    SHORT_DESCRIPTION_MAX,
    TITLE_MAX,
    BookDraft,
)
from domain.reading import ReadingTotal

Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_INT)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=TITLE_MAX, examples=["Middlemarch"])]
Author = Annotated[str, msgspec.Meta(min_length=1, max_length=AUTHOR_MAX, examples=["George Eliot"])]
# The year is checked against the current year by the domain (422); this only keeps it an int4.
Year = Annotated[int, msgspec.Meta(ge=-MAX_INT, le=MAX_INT, description="Not in the future.", examples=[1871])]
# ≥ 0 is a rule of the domain (422 naming the field); the bounds only keep the value an int4.
Count = Annotated[int, msgspec.Meta(ge=-MAX_INT, le=MAX_INT, description="At least 0.")]
ShortDescription = Annotated[str, msgspec.Meta(max_length=SHORT_DESCRIPTION_MAX)]
FullDescription = Annotated[str, msgspec.Meta(max_length=FULL_DESCRIPTION_MAX)]
CoverKind = Literal["HARD", "SOFT"]
# Checked by the domain (422 naming `cover`), so the input is a plain string here.
CoverInput = Annotated[str, msgspec.Meta(max_length=16, description="`HARD` or `SOFT`.", examples=["HARD"])]
Moment = Annotated[datetime, msgspec.Meta(tz=True, examples=["2026-01-05T09:00:00Z"])]


class BookResponse(msgspec.Struct, kw_only=True):
    """A catalog entry. ``readers``: distinct users with a reading session of the book."""

    id: int
    title: str
    author: str
    publish_year: int
    short_description: str
    cover: CoverKind
    inventory: int
    daily_fee_cents: int
    readers: int

    @classmethod
    def of(cls, book: BookSummary) -> BookResponse:
        return cls(
            id=book.id,
            title=book.title,
            author=book.author,
            publish_year=book.publish_year,
            short_description=book.short_description,
            cover=book.cover.value,
            inventory=book.inventory,
            daily_fee_cents=book.daily_fee_cents,
            readers=book.readers,
        )


class BookDetailResponse(msgspec.Struct, kw_only=True):
    id: int
    title: str
    author: str
    publish_year: int
    short_description: str
    full_description: str
    cover: CoverKind
    inventory: int
    daily_fee_cents: int
    readers: int

    @classmethod
    def of(cls, details: BookDetails) -> BookDetailResponse:
        book = details.summary
        return cls(
            id=book.id,
            title=book.title,
            author=book.author,
            publish_year=book.publish_year,
            short_description=book.short_description,
            full_description=details.full_description,
            cover=book.cover.value,
            inventory=book.inventory,
            daily_fee_cents=book.daily_fee_cents,
            readers=book.readers,
        )


class BookWrite(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """POST and PUT: the whole book. ``inventory`` and ``daily_fee_cents`` are ≥ 0 and
    ``publish_year`` is not in the future (422 otherwise)."""

    title: Title
    author: Author
    publish_year: Year
    inventory: Count
    daily_fee_cents: Count
    cover: CoverInput = "HARD"
    short_description: ShortDescription = ""
    full_description: FullDescription = ""

    def draft(self) -> BookDraft:
        return BookDraft(
            title=self.title,
            author=self.author,
            publish_year=self.publish_year,
            inventory=self.inventory,
            daily_fee_cents=self.daily_fee_cents,
            cover=self.cover,
            short_description=self.short_description,
            full_description=self.full_description,
        )


class BookPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """PATCH: send only what changes."""

    title: Title | msgspec.UnsetType = msgspec.UNSET
    author: Author | msgspec.UnsetType = msgspec.UNSET
    publish_year: Year | msgspec.UnsetType = msgspec.UNSET
    inventory: Count | msgspec.UnsetType = msgspec.UNSET
    daily_fee_cents: Count | msgspec.UnsetType = msgspec.UNSET
    cover: CoverInput | msgspec.UnsetType = msgspec.UNSET
    short_description: ShortDescription | msgspec.UnsetType = msgspec.UNSET
    full_description: FullDescription | msgspec.UnsetType = msgspec.UNSET

    def draft(self) -> BookDraft:
        given = {name: getattr(self, name) for name in self.__struct_fields__}
        return BookDraft(**{name: raw for name, raw in given.items() if raw is not msgspec.UNSET})


class ReadingSessionResponse(msgspec.Struct, kw_only=True):
    """``elapsed_seconds``: whole seconds from start to end, or up to now while open."""

    id: int
    user_id: int
    book_id: int
    started_at: datetime
    ended_at: datetime | None
    elapsed_seconds: int

    @classmethod
    def of(cls, view: ReadingSessionView) -> ReadingSessionResponse:
        session = view.session
        return cls(
            id=session.sid,
            user_id=session.user_id,
            book_id=session.book_id,
            started_at=session.started_at,
            ended_at=session.ended_at,
            elapsed_seconds=view.elapsed_seconds,
        )


class ReadingSessionCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A closed session entered after the fact: ``ended_at`` after ``started_at``, not in the future."""

    user_id: Id
    book_id: Id
    started_at: Moment
    ended_at: Moment


class ReadingTotalResponse(msgspec.Struct, kw_only=True):
    book_id: int
    total_elapsed_seconds: int

    @classmethod
    def of(cls, total: ReadingTotal) -> ReadingTotalResponse:
        return cls(book_id=total.book_id, total_elapsed_seconds=total.total_elapsed_seconds)
