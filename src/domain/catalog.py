"""The catalog: books and the rules their values obey."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from domain.errors import Conflict, InvalidValue
from domain.shared import BookId, has_control_characters

#: Every integer the catalog stores fits a 32-bit column.
MAX_INT = 2_147_483_647
TITLE_MAX = 255
AUTHOR_MAX = 255
SHORT_DESCRIPTION_MAX = 500
FULL_DESCRIPTION_MAX = 20_000
#: The oldest year a book may claim (clay tablets included).
EARLIEST_YEAR = -5000


class Cover(StrEnum):
    HARD = "HARD"
    SOFT = "SOFT"


class BookInUse(Conflict):
    code = "book-in-use"
    title = "The book is referenced by borrowings"


def _text(field_name: str, raw: str, *, max_length: int, required: bool) -> str:
    value = raw.strip()
    if has_control_characters(value, allow_newlines=True):
        raise InvalidValue(field_name, "Control characters are not allowed.")
    if required and not value:
        raise InvalidValue(field_name, "This field cannot be empty.")
    if len(value) > max_length:
        raise InvalidValue(field_name, f"At most {max_length} characters.")
    return value


def _count(field_name: str, value: int) -> int:
    if value < 0:
        raise InvalidValue(field_name, "Cannot be negative.")
    if value > MAX_INT:
        raise InvalidValue(field_name, f"At most {MAX_INT}.")
    return value


def validate_publish_year(value: int, current_year: int) -> int:
    if value > current_year:
        raise InvalidValue("publish_year", f"The publish year cannot be in the future (after {current_year}).")
    if value < EARLIEST_YEAR:
        raise InvalidValue("publish_year", f"The publish year cannot be before {EARLIEST_YEAR}.")
    return value


def validate_cover(value: str) -> Cover:
    try:
        return Cover(value)
    except ValueError:
        raise InvalidValue("cover", "The cover is HARD or SOFT.") from None


@dataclass(slots=True)
class Book:
    title: str
    author: str
    publish_year: int
    inventory: int
    daily_fee_cents: int
    cover: Cover = Cover.HARD
    short_description: str = ""
    full_description: str = ""
    id: BookId | None = None

    @classmethod
    def create(cls, draft: BookDraft, *, current_year: int) -> Book:
        book = cls(title="", author="", publish_year=0, inventory=0, daily_fee_cents=0)
        book.replace_with(draft, current_year=current_year)
        return book

    @property
    def bid(self) -> BookId:
        if self.id is None:
            msg = "the book has not been saved yet"
            raise RuntimeError(msg)
        return self.id

    def replace_with(self, draft: BookDraft, *, current_year: int) -> None:
        """Every field from ``draft``, each checked (PUT)."""
        self.revise(BookChanges.everything(draft), current_year=current_year)

    def revise(self, changes: BookChanges, *, current_year: int) -> None:
        """Apply the fields named in ``changes.fields`` (PATCH); nothing changes if one is invalid."""
        draft, fields = changes.draft, changes.fields
        title = _text("title", draft.title, max_length=TITLE_MAX, required=True) if "title" in fields else self.title
        author = (
            _text("author", draft.author, max_length=AUTHOR_MAX, required=True) if "author" in fields else self.author
        )
        year = (
            validate_publish_year(draft.publish_year, current_year) if "publish_year" in fields else self.publish_year
        )
        inventory = _count("inventory", draft.inventory) if "inventory" in fields else self.inventory
        fee = _count("daily_fee_cents", draft.daily_fee_cents) if "daily_fee_cents" in fields else self.daily_fee_cents
        cover = validate_cover(draft.cover) if "cover" in fields else self.cover
        short = (
            _text("short_description", draft.short_description, max_length=SHORT_DESCRIPTION_MAX, required=False)
            if "short_description" in fields
            else self.short_description
        )
        full = (
            _text("full_description", draft.full_description, max_length=FULL_DESCRIPTION_MAX, required=False)
            if "full_description" in fields
            else self.full_description
        )
        self.title, self.author, self.publish_year = title, author, year
        self.inventory, self.daily_fee_cents, self.cover = inventory, fee, cover
        self.short_description, self.full_description = short, full


BOOK_FIELDS = frozenset(
    {
        "title",
        "author",
        "publish_year",
        "inventory",
        "daily_fee_cents",
        "cover",
        "short_description",
        "full_description",
    }
)


@dataclass(frozen=True, slots=True)
class BookDraft:
    """The values of a book as an admin typed them (not yet checked)."""

    title: str = ""
    author: str = ""
    publish_year: int = 0
    inventory: int = 0
    daily_fee_cents: int = 0
    cover: str = Cover.HARD.value
    short_description: str = ""
    full_description: str = ""


@dataclass(frozen=True, slots=True)
class BookChanges:
    """A partial change: only the names in ``fields`` are applied."""

    draft: BookDraft
    fields: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        unknown = self.fields - BOOK_FIELDS
        if unknown:
            msg = f"unknown book fields: {sorted(unknown)}"
            raise ValueError(msg)

    @classmethod
    def everything(cls, draft: BookDraft) -> BookChanges:
        return cls(draft=draft, fields=BOOK_FIELDS)
