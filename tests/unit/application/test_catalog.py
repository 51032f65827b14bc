"""Catalog use cases on in-memory fakes."""

from __future__ import annotations

import pytest

from application.errors import NotFound
from application.ports.catalog import BookFilter
from application.results import PageRequest
from application.use_cases.catalog import CreateBook, DeleteBook, GetBook, ListBooks, UpdateBook
from domain.catalog import BookChanges, BookDraft, BookId, BookInUse, Cover
from domain.errors import InvalidValue
from domain.reading import ReadingSession
from tests.unit.fakes_catalog import CatalogStore, SteppingClock


def draft(**overrides: object) -> BookDraft:
    values: dict[str, object] = {
        "title": "Dune",
        "author": "Frank Herbert",
        "publish_year": 1965,
        "inventory": 4,
        "daily_fee_cents": 30,
    }
    return BookDraft(**(values | overrides))  # type: ignore[arg-type]


async def test_a_created_book_is_stored_and_returned_with_no_readers() -> None:
    store, clock = CatalogStore(), SteppingClock()
    details = await CreateBook(store.uow, clock)(draft=draft(cover="SOFT"))
    assert (details.summary.title, details.summary.cover, details.summary.readers) == ("Dune", Cover.SOFT, 0)
    assert store.commits == 1
    assert (await GetBook(store.uow)(book_id=details.summary.id)) == details


async def test_the_clock_decides_what_the_future_is() -> None:
    store, clock = CatalogStore(), SteppingClock()
    next_year = clock.today().year + 1
    with pytest.raises(InvalidValue):
        await CreateBook(store.uow, clock)(draft=draft(publish_year=next_year))
    clock.advance(days=366)
    assert (await CreateBook(store.uow, clock)(draft=draft(publish_year=next_year))).summary.publish_year == next_year


async def test_an_invalid_update_commits_nothing() -> None:
    store, clock = CatalogStore(), SteppingClock()
    book_id = store.add_book(inventory=2)
    changes = BookChanges(draft=BookDraft(inventory=-1), fields=frozenset({"inventory"}))
    with pytest.raises(InvalidValue):
        await UpdateBook(store.uow, clock)(book_id=book_id, changes=changes)
    assert store.commits == 0
    assert store.data.books[book_id].inventory == 2


async def test_updating_or_deleting_a_missing_book_is_not_found() -> None:
    store, clock = CatalogStore(), SteppingClock()
    with pytest.raises(NotFound):
        await UpdateBook(store.uow, clock)(book_id=BookId(404), changes=BookChanges.everything(draft()))
    with pytest.raises(NotFound):
        await DeleteBook(store.uow)(book_id=BookId(404))
    with pytest.raises(NotFound):
        await GetBook(store.uow)(book_id=BookId(404))


async def test_deleting_a_book_takes_its_sessions_but_not_one_with_borrowings() -> None:
    store, clock = CatalogStore(), SteppingClock()
    read, borrowed = store.add_book(), store.add_book()
    reader = store.add_user()
    store.data.sessions[99] = ReadingSession(reader, read, clock.now(), id=99)  # type: ignore[arg-type]
    store.data.borrowed.add(borrowed)

    await DeleteBook(store.uow)(book_id=read)
    assert read not in store.data.books
    assert store.data.sessions == {}
    with pytest.raises(BookInUse):
        await DeleteBook(store.uow)(book_id=borrowed)
    assert borrowed in store.data.books


async def test_the_list_filters_and_counts_readers() -> None:
    store, clock = CatalogStore(), SteppingClock()
    dune = store.add_book(title="Dune", author="Frank Herbert")
    store.add_book(title="Emma", author="Jane Austen")
    ada, bob = store.add_user(), store.add_user()
    for user in (ada, bob, ada):
        store.data.sessions[store.data.new_id()] = ReadingSession(user, dune, clock.now())
    page = await ListBooks(store.uow)(filters=BookFilter(search="herb"), page=PageRequest())
    assert [(book.id, book.readers) for book in page.items] == [(dune, 2)]
    assert page.total == 1
