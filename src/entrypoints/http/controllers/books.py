"""``/api/books``: the catalog (public) and its management (admins)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from application.ports.catalog import BookFilter
from application.results import PageRequest
from application.use_cases.catalog import CreateBook, DeleteBook, GetBook, ListBooks, UpdateBook
from application.use_cases.identity import Principal
from domain.catalog import AUTHOR_MAX, MAX_INT, BookChanges, BookId
from entrypoints.http.deps import use_case
from entrypoints.http.schemas.catalog import BookDetailResponse, BookPatch, BookResponse, BookWrite
from entrypoints.http.schemas.common import NO_NUL, PageResponse, set_fields

ADMIN: list[dict[str, list[str]]] = [{"BearerAuth": []}]


class BooksController(Controller):
    path = "/api/books"
    tags = ["Catalog"]
    dependencies = {
        "list_books": use_case(lambda c: c.catalog.list_books),
        "get_book": use_case(lambda c: c.catalog.get_book),
        "create_book": use_case(lambda c: c.catalog.create_book),
        "update_book": use_case(lambda c: c.catalog.update_book),
        "delete_book": use_case(lambda c: c.catalog.delete_book),
    }

    @get(
        operation_id="ListBooks",
        summary="The catalog",
        description="Anyone may browse. `search` matches the title or the author (case-insensitive, any part); "
        "`author` matches the whole author name (case-insensitive); `publish_year` the year. Books come in id "
        "order. `readers` is the number of distinct users with a reading session of the book.",
    )
    async def list_books_(
        self,
        list_books: NamedDependency[ListBooks],
        page: NamedDependency[PageRequest],
        search: Annotated[
            str | None, QueryParameter(max_length=255, description="In title or author.", pattern=NO_NUL)
        ] = None,
        author: Annotated[
            str | None, QueryParameter(max_length=AUTHOR_MAX, description="Whole name.", pattern=NO_NUL)
        ] = None,
        publish_year: Annotated[int | None, QueryParameter(ge=-MAX_INT, le=MAX_INT)] = None,
    ) -> PageResponse[BookResponse]:
        filters = BookFilter(search=search or None, author=author or None, publish_year=publish_year)
        return PageResponse.of(await list_books(filters=filters, page=page), BookResponse.of)

    @get("/{book_id:int}", operation_id="GetBook", summary="One book, with its full description")
    async def get_book_(self, book_id: FromPath[int], get_book: NamedDependency[GetBook]) -> BookDetailResponse:
        return BookDetailResponse.of(await get_book(book_id=BookId(book_id)))

    @post(
        operation_id="CreateBook",
        summary="Add a book (admin)",
        description="`inventory` and `daily_fee_cents` must be ≥ 0, `publish_year` not in the future, "
        "`cover` `HARD` or `SOFT`; a broken rule answers 422 naming the field.",
        security=ADMIN,
    )
    async def create_book_(
        self, data: JSONBody[BookWrite], admin: NamedDependency[Principal], create_book: NamedDependency[CreateBook]
    ) -> BookDetailResponse:
        return BookDetailResponse.of(await create_book(draft=data.draft()))

    @put(
        "/{book_id:int}",
        operation_id="ReplaceBook",
        summary="Replace a book (admin)",
        description="Every field; optional ones left out take their defaults. Same rules as creation.",
        security=ADMIN,
    )
    async def replace_book(
        self,
        book_id: FromPath[int],
        data: JSONBody[BookWrite],
        admin: NamedDependency[Principal],
        update_book: NamedDependency[UpdateBook],
    ) -> BookDetailResponse:
        changes = BookChanges.everything(data.draft())
        return BookDetailResponse.of(await update_book(book_id=BookId(book_id), changes=changes))

    @patch(
        "/{book_id:int}",
        operation_id="UpdateBook",
        summary="Change a book (admin)",
        description="Send only what changes. Same rules as creation.",
        security=ADMIN,
    )
    async def update_book_(
        self,
        book_id: FromPath[int],
        data: JSONBody[BookPatch],
        admin: NamedDependency[Principal],
        update_book: NamedDependency[UpdateBook],
    ) -> BookDetailResponse:
        changes = BookChanges(draft=data.draft(), fields=set_fields(data))
        return BookDetailResponse.of(await update_book(book_id=BookId(book_id), changes=changes))

    @delete(
        "/{book_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="DeleteBook",
        summary="Delete a book (admin)",
        description="Its reading sessions go with it. A book with borrowings on record cannot be deleted (409).",
        security=ADMIN,
    )
    async def delete_book_(
        self, book_id: FromPath[int], admin: NamedDependency[Principal], delete_book: NamedDependency[DeleteBook]
    ) -> None:
        await delete_book(book_id=BookId(book_id))
