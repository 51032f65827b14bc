"""``/api/borrowings``: borrow a book, return it, your borrowings."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, HeaderParameter, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from application.ports.circulation import BorrowingFilter
from application.results import PageRequest
from application.use_cases.circulation import BorrowBook, GetBorrowing, ListBorrowings, ReturnBook
from application.use_cases.holds import ListOverdue
from application.use_cases.identity import Principal
from domain.circulation import BookId, BorrowingId
from domain.shared import UserId
from entrypoints.http.deps import use_case
from entrypoints.http.schemas.circulation import MAX_ID, BorrowingResponse, BorrowRequest
from entrypoints.http.schemas.common import PageResponse
from entrypoints.http.schemas.holds import OverdueBorrowingResponse

BorrowingPathId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Optional. A repeat with the same key returns the first result and charges nothing new.",
    ),
]

BORROW_DESCRIPTION = """\
Borrow one copy of a book until `expected_return_date`. In one transaction: the book's
inventory goes down by one (never below zero, however many ask at once), the borrowing
and its PENDING `PAYMENT` (days x `daily_fee_cents`) are stored, a checkout session is
opened (its `session_url` is in `payments[0]`), and the library's Telegram chat is told.

* `expected_return_date` must be after today and at most 365 days away → else **400**.
* no copy left → **409** `book-unavailable`; you have a PENDING or EXPIRED fee or fine →
  **409** `payment-outstanding`; no such book → 404.
* The payment provider unreachable or too slow → **503**, answering with an error →
  **502**; in both cases nothing was stored and the inventory is unchanged.
* `Idempotency-Key`: a repeat with the same key returns the first borrowing (201, same
  body) without a second borrowing or checkout; a concurrent repeat waits for the first
  and then gets its result. The same key with a different body → **422**.
"""


class BorrowingsController(Controller):
    path = "/api/borrowings"
    tags = ["Circulation"]
    security = [{"BearerAuth": []}]
    dependencies = {
        "borrow_book": use_case(lambda c: c.circulation.borrow_book),
        "return_book": use_case(lambda c: c.circulation.return_book),
        "list_borrowings": use_case(lambda c: c.circulation.list_borrowings),
        "get_borrowing": use_case(lambda c: c.circulation.get_borrowing),
        "list_overdue": use_case(lambda c: c.circulation.list_overdue),
    }

    @post(
        status_code=HTTP_201_CREATED, operation_id="BorrowBook", summary="Borrow a book", description=BORROW_DESCRIPTION
    )
    async def borrow(
        self,
        data: JSONBody[BorrowRequest],
        access_token: NamedDependency[str],
        borrow_book: NamedDependency[BorrowBook],
        idempotency_key: IdempotencyKey = None,
    ) -> BorrowingResponse:
        # The use case checks the token and the account in its own transaction.
        borrowing = await borrow_book(
            token=access_token,
            book_id=BookId(data.book_id),
            until=data.expected_return_date,
            idempotency_key=idempotency_key,
        )
        return BorrowingResponse.of(borrowing)

    @get(
        operation_id="ListBorrowings",
        summary="Your borrowings (admins: everyone's)",
        description="Newest first, each with its book and payments. `is_active=true` keeps those not yet "
        "returned, `false` the returned ones. Admins see all borrowings and may filter by `user_id`.",
    )
    async def list_borrowings_(
        self,
        principal: NamedDependency[Principal],
        list_borrowings: NamedDependency[ListBorrowings],
        page: NamedDependency[PageRequest],
        is_active: FromQuery[bool | None] = None,
        user_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID, description="Admins only.")] = None,
    ) -> PageResponse[BorrowingResponse]:
        filters = BorrowingFilter(user_id=UserId(user_id) if user_id else None, is_active=is_active)
        result = await list_borrowings(viewer=principal, filters=filters, page=page)
        return PageResponse.of(result, BorrowingResponse.of)

    @get(
        "/overdue",
        operation_id="ListOverdueBorrowings",
        summary="Borrowings due by tomorrow and not returned (admin)",
        description="Active borrowings whose `expected_return_date` is tomorrow or earlier, soonest first, "
        "each with its borrower and book: what the daily `overdue_digest` job posts to the library's "
        "Telegram chat. Non-admins → 403.",
    )
    async def list_overdue_(
        self,
        principal: NamedDependency[Principal],
        list_overdue: NamedDependency[ListOverdue],
        page: NamedDependency[PageRequest],
    ) -> PageResponse[OverdueBorrowingResponse]:
        return PageResponse.of(await list_overdue(viewer=principal, page=page), OverdueBorrowingResponse.of)

    @get(
        "/{borrowing_id:int}",
        operation_id="GetBorrowing",
        summary="One borrowing (owner or admin)",
        description="Another user's borrowing is a 404.",
    )
    async def get_borrowing_(
        self,
        borrowing_id: BorrowingPathId,
        principal: NamedDependency[Principal],
        get_borrowing: NamedDependency[GetBorrowing],
    ) -> BorrowingResponse:
        return BorrowingResponse.of(await get_borrowing(viewer=principal, borrowing_id=BorrowingId(borrowing_id)))

    @post(
        "/{borrowing_id:int}/return",
        status_code=HTTP_200_OK,
        operation_id="ReturnBook",
        summary="Return a borrowed book (owner or admin)",
        description="Sets `actual_return_date` to today and hands the copy on: to the first reader on the "
        "book's waitlist (their hold becomes `ready`, they are emailed) or back on the shelf "
        "(inventory + 1). A second "
        "return → 409. A late return adds a `FINE` of days late x `daily_fee_cents` x `FINE_MULTIPLIER` "
        "with its own checkout session; if the payment provider is down at that moment the return still "
        "counts and the FINE is `EXPIRED` with no session: renew it to pay.",
    )
    async def return_book_(
        self,
        borrowing_id: BorrowingPathId,
        principal: NamedDependency[Principal],
        return_book: NamedDependency[ReturnBook],
    ) -> BorrowingResponse:
        return BorrowingResponse.of(await return_book(viewer=principal, borrowing_id=BorrowingId(borrowing_id)))
