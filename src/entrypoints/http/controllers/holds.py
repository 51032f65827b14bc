"""``/api/books/{id}/holds`` and ``/api/holds``: the waitlist of a book whose copies are out."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from application.results import PageRequest
from application.use_cases.holds import CancelHold, ListHolds, PlaceHold
from application.use_cases.identity import Principal
from domain.holds import HoldId
from entrypoints.http.deps import ResourceId, use_case
from entrypoints.http.schemas.common import PageResponse
from entrypoints.http.schemas.holds import HoldResponse

PLACE_DESCRIPTION = """\
Join the waitlist of a book none of whose copies is on the shelf. Readers are served in the
order they joined: when a copy comes back, the first waiting hold becomes `ready` and the
copy is reserved for its reader until `ready_until` (24 h); they are emailed, and their next
`POST /api/borrowings` of the book takes that copy (others still see inventory 0 and get
409). A hold not claimed in time becomes `expired` and the copy goes to the next in line, or
back to the shelf when nobody waits.

* a copy is on the shelf → **409** `copies-available` (borrow it instead);
* you already have an open hold on this book → **409** `already-on-waitlist`;
* no such book → 404.
"""


class HoldsController(Controller):
    path = "/api"
    tags = ["Circulation"]
    security = [{"BearerAuth": []}]
    dependencies = {
        "place_hold": use_case(lambda c: c.circulation.place_hold),
        "list_holds": use_case(lambda c: c.circulation.list_holds),
        "cancel_hold": use_case(lambda c: c.circulation.cancel_hold),
    }

    @post(
        "/books/{book_id:int}/holds",
        status_code=HTTP_201_CREATED,
        operation_id="PlaceHold",
        summary="Join a book's waitlist",
        description=PLACE_DESCRIPTION,
    )
    async def place(
        self, book_id: ResourceId, principal: NamedDependency[Principal], place_hold: NamedDependency[PlaceHold]
    ) -> HoldResponse:
        return HoldResponse.of(await place_hold(user_id=principal.user_id, book_id=book_id))

    @get(
        "/holds",
        operation_id="ListHolds",
        summary="Your holds",
        description="Open holds first (`ready`, then `waiting`, in queue order, each with its `position`), "
        "then closed ones (`fulfilled`, `cancelled`, `expired`), newest first.",
    )
    async def list_(
        self,
        principal: NamedDependency[Principal],
        list_holds: NamedDependency[ListHolds],
        page: NamedDependency[PageRequest],
    ) -> PageResponse[HoldResponse]:
        return PageResponse.of(await list_holds(user_id=principal.user_id, page=page), HoldResponse.of)

    @delete(
        "/holds/{hold_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="CancelHold",
        summary="Leave a waitlist (owner)",
        description="Cancels the hold. If it was `ready`, its reserved copy goes to the next reader in line "
        "(or back to the shelf). Cancelling a hold that is already closed changes nothing (204); another "
        "user's hold is a 404.",
    )
    async def cancel(
        self, hold_id: ResourceId, principal: NamedDependency[Principal], cancel_hold: NamedDependency[CancelHold]
    ) -> None:
        await cancel_hold(viewer=principal, hold_id=HoldId(hold_id))
