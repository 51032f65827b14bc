"""Reading sessions: start and end reading a book, your sessions and totals, admin records."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from application.results import PageRequest
from application.use_cases.identity import Principal
from application.use_cases.reading import (
    DeleteReadingSession,
    EndReading,
    GetReadingSession,
    ListReadingSessions,
    ReadingTotals,
    RecordReadingSession,
    StartReading,
)
from domain.catalog import MAX_INT, BookId
from domain.reading import ReadingSessionId
from domain.shared import UserId
from entrypoints.http.deps import use_case
from entrypoints.http.schemas.catalog import ReadingSessionCreate, ReadingSessionResponse, ReadingTotalResponse
from entrypoints.http.schemas.common import PageResponse

BEARER: list[dict[str, list[str]]] = [{"BearerAuth": []}]
IdFilter = Annotated[int | None, QueryParameter(ge=1, le=MAX_INT)]


class BookReadingController(Controller):
    path = "/api/books/{book_id:int}/reading"
    tags = ["Reading sessions"]
    security = BEARER
    dependencies = {
        "start_reading": use_case(lambda c: c.catalog.start_reading),
        "end_reading": use_case(lambda c: c.catalog.end_reading),
    }

    @post(
        "/start",
        operation_id="StartReading",
        summary="Start reading a book",
        description="Opens a session at this moment. If you have an open session (of any book) it is ended "
        "at this same moment first, in the same transaction: you read one book at a time. Your `session_stats` "
        "count the ended session's seconds and, if this is your first session of the book, the book, at once.",
    )
    async def start(
        self,
        book_id: FromPath[int],
        access_token: NamedDependency[str],
        start_reading: NamedDependency[StartReading],
    ) -> ReadingSessionResponse:
        # The use case checks the token and the account in its own transaction.
        return ReadingSessionResponse.of(await start_reading(token=access_token, book_id=BookId(book_id)))

    @post(
        "/end",
        status_code=HTTP_200_OK,
        operation_id="EndReading",
        summary="Stop reading a book",
        description="Ends your open session of this book; 409 when none is open. Your `session_stats` count "
        "its seconds at once (the 7- and 30-day windows are recomputed by the periodic `reading_stats` job).",
    )
    async def end(
        self, book_id: FromPath[int], principal: NamedDependency[Principal], end_reading: NamedDependency[EndReading]
    ) -> ReadingSessionResponse:
        return ReadingSessionResponse.of(await end_reading(user_id=principal.user_id, book_id=BookId(book_id)))


class ReadingSessionsController(Controller):
    path = "/api/reading-sessions"
    tags = ["Reading sessions"]
    security = BEARER
    dependencies = {
        "list_reading_sessions": use_case(lambda c: c.catalog.list_reading_sessions),
        "reading_totals": use_case(lambda c: c.catalog.reading_totals),
        "record_reading_session": use_case(lambda c: c.catalog.record_reading_session),
        "get_reading_session": use_case(lambda c: c.catalog.get_reading_session),
        "delete_reading_session": use_case(lambda c: c.catalog.delete_reading_session),
    }

    @get(
        operation_id="ListReadingSessions",
        summary="Your reading sessions",
        description="Newest first, with `elapsed_seconds` (an open session counts up to now). Filter by "
        "`book_id`. Admins see everyone's sessions and may filter by `user_id`; others may only pass their own.",
    )
    async def list_sessions(
        self,
        principal: NamedDependency[Principal],
        page: NamedDependency[PageRequest],
        list_reading_sessions: NamedDependency[ListReadingSessions],
        book_id: IdFilter = None,
        user_id: IdFilter = None,
    ) -> PageResponse[ReadingSessionResponse]:
        result = await list_reading_sessions(
            viewer=principal,
            user_id=UserId(user_id) if user_id is not None else None,
            book_id=BookId(book_id) if book_id is not None else None,
            page=page,
        )
        return PageResponse.of(result, ReadingSessionResponse.of)

    @get(
        "/totals",
        operation_id="ReadingTotals",
        summary="Your reading time per book",
        description="Seconds per book over your closed sessions, by book id; an open session counts once it "
        "ends. Filter by `book_id`. Admins may pass `user_id` to see someone else's.",
    )
    async def totals(
        self,
        principal: NamedDependency[Principal],
        page: NamedDependency[PageRequest],
        reading_totals: NamedDependency[ReadingTotals],
        book_id: IdFilter = None,
        user_id: IdFilter = None,
    ) -> PageResponse[ReadingTotalResponse]:
        result = await reading_totals(
            viewer=principal,
            user_id=UserId(user_id) if user_id is not None else None,
            book_id=BookId(book_id) if book_id is not None else None,
            page=page,
        )
        return PageResponse.of(result, ReadingTotalResponse.of)

    @post(
        operation_id="RecordReadingSession",
        summary="Record a reading session (admin)",
        description="A closed session entered after the fact: `ended_at` after `started_at` and not in the "
        "future (422). An unknown `user_id` or `book_id` answers 404.",
    )
    async def record(
        self,
        data: JSONBody[ReadingSessionCreate],
        admin: NamedDependency[Principal],
        record_reading_session: NamedDependency[RecordReadingSession],
    ) -> ReadingSessionResponse:
        view = await record_reading_session(
            user_id=UserId(data.user_id),
            book_id=BookId(data.book_id),
            started_at=data.started_at,
            ended_at=data.ended_at,
        )
        return ReadingSessionResponse.of(view)

    @get(
        "/{session_id:int}",
        operation_id="GetReadingSession",
        summary="One reading session",
        description="Yours, or anyone's for admins (someone else's answers 404).",
    )
    async def get_session(
        self,
        session_id: FromPath[int],
        principal: NamedDependency[Principal],
        get_reading_session: NamedDependency[GetReadingSession],
    ) -> ReadingSessionResponse:
        view = await get_reading_session(viewer=principal, session_id=ReadingSessionId(session_id))
        return ReadingSessionResponse.of(view)

    @delete(
        "/{session_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="DeleteReadingSession",
        summary="Delete a reading session (admin)",
    )
    async def delete_session(
        self,
        session_id: FromPath[int],
        admin: NamedDependency[Principal],
        delete_reading_session: NamedDependency[DeleteReadingSession],
    ) -> None:
        await delete_reading_session(session_id=ReadingSessionId(session_id))
