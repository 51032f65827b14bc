"""Catalog use cases: browse books (anyone), manage them (admins; authorised at the edge)."""

from __future__ import annotations

from collections.abc import Callable

from application.errors import NotFound
from application.ports.catalog import BookDetails, BookFilter, BookSummary, CatalogUnitOfWork
from application.ports.clock import Clock
from application.results import Page, PageRequest
from domain.catalog import Book, BookChanges, BookDraft, BookId

UowFactory = Callable[[], CatalogUnitOfWork]


class ListBooks:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, filters: BookFilter, page: PageRequest) -> Page[BookSummary]:
        async with self._uow() as uow:
            return await uow.catalog.list(filters, page)


class GetBook:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, book_id: BookId) -> BookDetails:
        async with self._uow() as uow:
            details = await uow.catalog.details(book_id)
        if details is None:
            raise NotFound("book", book_id)
        return details


class CreateBook:
    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, *, draft: BookDraft) -> BookDetails:
        book = Book.create(draft, current_year=self._clock.today().year)
        async with self._uow() as uow:
            book = await uow.books.add(book)
            details = await uow.catalog.details(book.bid)
            await uow.commit()
        if details is None:  # pragma: no cover - just inserted in this transaction
            raise NotFound("book", book.id)
        return details


class UpdateBook:
    """PUT (every field) and PATCH (the fields named in ``changes``)."""

    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, *, book_id: BookId, changes: BookChanges) -> BookDetails:
        async with self._uow() as uow:
            book = await uow.books.get_for_update(book_id)
            if book is None:
                raise NotFound("book", book_id)
            book.revise(changes, current_year=self._clock.today().year)
            await uow.books.save(book)
            details = await uow.catalog.details(book_id)
            await uow.commit()
        if details is None:  # pragma: no cover - locked in this transaction
            raise NotFound("book", book_id)
        return details


class DeleteBook:
    """A book with borrowings on record cannot be deleted (``BookInUse``); its reading
    sessions are deleted with it."""

    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, book_id: BookId) -> None:
        async with self._uow() as uow:
            if not await uow.books.delete(book_id):
                raise NotFound("book", book_id)
            await uow.commit()
