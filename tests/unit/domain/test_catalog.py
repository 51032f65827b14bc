"""Book rules: counts never negative, no books from the future, HARD or SOFT covers."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.catalog import (
    BOOK_FIELDS,
    FULL_DESCRIPTION_MAX,
    MAX_INT,
    SHORT_DESCRIPTION_MAX,
    Book,
    BookChanges,
    BookDraft,
    Cover,
)
from domain.errors import InvalidValue

YEAR = 2026


def draft(**overrides: object) -> BookDraft:
    values: dict[str, object] = {
        "title": "Middlemarch",
        "author": "George Eliot",
        "publish_year": 1871,
        "inventory": 2,
        "daily_fee_cents": 75,
        "cover": "SOFT",
        "short_description": "A study of provincial life",
        "full_description": "Long.",
    }
    return BookDraft(**(values | overrides))  # type: ignore[arg-type]


def test_a_valid_draft_becomes_a_book_with_trimmed_text() -> None:
    book = Book.create(draft(title="  Middlemarch ", author=" George Eliot"), current_year=YEAR)
    assert (book.title, book.author, book.cover, book.id) == ("Middlemarch", "George Eliot", Cover.SOFT, None)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"inventory": -1}, "inventory"),
        ({"daily_fee_cents": -1}, "daily_fee_cents"),
        ({"inventory": MAX_INT + 1}, "inventory"),
        ({"publish_year": YEAR + 1}, "publish_year"),
        ({"publish_year": -6000}, "publish_year"),
        ({"cover": "PAPERBACK"}, "cover"),
        ({"cover": "soft"}, "cover"),
        ({"title": ""}, "title"),
        ({"title": "\t "}, "title"),
        ({"title": "x" * 256}, "title"),
        ({"author": ""}, "author"),
        ({"short_description": "x" * (SHORT_DESCRIPTION_MAX + 1)}, "short_description"),
        ({"full_description": "x" * (FULL_DESCRIPTION_MAX + 1)}, "full_description"),
    ],
)
def test_a_broken_rule_names_its_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        Book.create(draft(**overrides), current_year=YEAR)
    assert caught.value.field == field


def test_the_current_year_and_zero_counts_are_allowed() -> None:
    book = Book.create(draft(publish_year=YEAR, inventory=0, daily_fee_cents=0), current_year=YEAR)
    assert (book.publish_year, book.inventory, book.daily_fee_cents) == (YEAR, 0, 0)


def test_a_patch_changes_only_the_named_fields() -> None:
    book = Book.create(draft(), current_year=YEAR)
    book.revise(BookChanges(draft=BookDraft(inventory=7), fields=frozenset({"inventory"})), current_year=YEAR)
    assert book == Book.create(draft(inventory=7), current_year=YEAR)


def test_changes_name_only_book_fields() -> None:
    with pytest.raises(ValueError, match="unknown"):
        BookChanges(draft=BookDraft(), fields=frozenset({"isbn"}))


@given(
    inventory=st.integers(min_value=-(2**40), max_value=2**40),
    fee=st.integers(min_value=-(2**40), max_value=2**40),
    year=st.integers(min_value=-10_000, max_value=10_000),
    cover=st.sampled_from(["HARD", "SOFT", "", "hard", "PAPER"]),
)
def test_a_book_is_accepted_exactly_when_every_value_is_in_range(
    inventory: int, fee: int, year: int, cover: str
) -> None:
    valid = 0 <= inventory <= MAX_INT and 0 <= fee <= MAX_INT and -5000 <= year <= YEAR and cover in {"HARD", "SOFT"}
    candidate = draft(inventory=inventory, daily_fee_cents=fee, publish_year=year, cover=cover)
    if valid:
        book = Book.create(candidate, current_year=YEAR)
        assert (book.inventory, book.daily_fee_cents, book.publish_year, book.cover.value) == (
            inventory,
            fee,
            year,
            cover,
        )
    else:
        with pytest.raises(InvalidValue):
            Book.create(candidate, current_year=YEAR)


@given(
    fields=st.frozensets(st.sampled_from(sorted(BOOK_FIELDS)), min_size=1),
    inventory=st.integers(min_value=-5, max_value=5),
    year=st.integers(min_value=YEAR - 2, max_value=YEAR + 2),
)
def test_a_rejected_change_leaves_the_book_as_it_was(fields: frozenset[str], inventory: int, year: int) -> None:
    book = Book.create(draft(), current_year=YEAR)
    before = dataclasses.replace(book)
    changes = BookChanges(draft=draft(inventory=inventory, publish_year=year, title=""), fields=fields)
    try:
        book.revise(changes, current_year=YEAR)
    except InvalidValue:
        assert book == before
    else:
        assert "title" not in fields
        assert all(getattr(book, name) == getattr(before, name) for name in BOOK_FIELDS - fields)
