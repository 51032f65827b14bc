"""The focus timer: ``/api/focus/categories``, ``/api/focus/sessions``, ``/api/achievements``
and ``/api/stats``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from litestar import Controller, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from application.results import Page, PageRequest
from application.use_cases.focus import (
    CreateFocusCategory,
    DeleteFocusCategory,
    EvaluateAchievements,
    FocusStatistics,
    ListFocusCategories,
    ListFocusSessions,
    StartFocusSession,
    StopFocusSession,
    UpdateFocusCategory,
)
from application.use_cases.identity import Principal
from domain.focus import CategoryId, FocusSessionId, Period, TimeZone
from entrypoints.http.charts import SVG_MEDIA_TYPE, focus_chart
from entrypoints.http.deps import MAX_INT, ResourceId, use_case
from entrypoints.http.schemas.common import NO_NUL, PageResponse, value
from entrypoints.http.schemas.focus import (
    TIME_ZONE_MAX,
    AchievementResponse,
    FocusCategoryCreate,
    FocusCategoryPatch,
    FocusCategoryResponse,
    FocusSessionResponse,
    FocusSessionStart,
    StatsResponse,
)

BEARER: list[dict[str, list[str]]] = [{"BearerAuth": []}]
TIME_ZONES = (
    "`UTC` (the default), a fixed offset `±HH:MM` (e.g. `+02:00`; in a query string write the plus as `%2B`, "
    "an unencoded `+` arriving as a space is understood too) or an IANA name such as `Europe/Paris` "
    "(daylight saving time included). Anything else → 422 naming `tz`."
)

MOMENT = "An ISO 8601 datetime, e.g. `2026-11-22T09:00:00+02:00` (without an offset: UTC)."
MOMENT_PARAMETER: dict[str, Any] = {"max_length": 64, "description": MOMENT, "schema_extra": {"format": "date-time"}}


def query_moment(name: str, raw: str | None) -> datetime | None:
    """Parse a datetime query parameter; a malformed one is a 400 naming the parameter."""
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw.strip().upper())  # RFC 3339 allows `t` and `z`
    except ValueError:
        raise ValidationException(
            detail=f"`{name}` is not an ISO 8601 datetime.",
            extra=[{"key": name, "message": "Expected an ISO 8601 datetime.", "source": "query"}],
        ) from None


class FocusCategoriesController(Controller):
    path = "/api/focus/categories"
    tags = ["Focus timer"]
    security = BEARER
    dependencies = {
        "create_category": use_case(lambda c: c.focus.create_category),
        "list_categories": use_case(lambda c: c.focus.list_categories),
        "update_category": use_case(lambda c: c.focus.update_category),
        "delete_category": use_case(lambda c: c.focus.delete_category),
    }

    @get(operation_id="ListFocusCategories", summary="Your focus categories", description="By name.")
    async def list_categories_(
        self,
        principal: NamedDependency[Principal],
        page: NamedDependency[PageRequest],
        list_categories: NamedDependency[ListFocusCategories],
    ) -> PageResponse[FocusCategoryResponse]:
        found = await list_categories(user_id=principal.user_id, page=page)
        return PageResponse.of(found, FocusCategoryResponse.of)

    @post(
        status_code=HTTP_201_CREATED,
        operation_id="CreateFocusCategory",
        summary="Create a focus category",
        description=(
            "`name`: 1-64 characters on one line (surrounding spaces trimmed), unique among your categories "
            "(case-sensitive) → 409. `color`: `#rrggbb` (six hexadecimal digits, stored in lower case) → 422 "
            "otherwise."
        ),
    )
    async def create(
        self,
        data: JSONBody[FocusCategoryCreate],
        principal: NamedDependency[Principal],
        create_category: NamedDependency[CreateFocusCategory],
    ) -> FocusCategoryResponse:
        category = await create_category(user_id=principal.user_id, name=data.name, color=data.color)
        return FocusCategoryResponse.of(category)

    @patch(
        "/{category_id:int}",
        operation_id="UpdateFocusCategory",
        summary="Rename or recolor one of your categories",
        description="Send only what changes. Someone else's category answers 404; a name you already use, 409.",
    )
    async def update(
        self,
        category_id: ResourceId,
        data: JSONBody[FocusCategoryPatch],
        principal: NamedDependency[Principal],
        update_category: NamedDependency[UpdateFocusCategory],
    ) -> FocusCategoryResponse:
        category = await update_category(
            user_id=principal.user_id,
            category_id=CategoryId(category_id),
            name=value(data.name),
            color=value(data.color),
        )
        return FocusCategoryResponse.of(category)

    @delete(
        "/{category_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="DeleteFocusCategory",
        summary="Delete one of your categories",
        description='Its sessions stay, without a category ("Uncategorized" in statistics). '
        "Someone else's category answers 404.",
    )
    async def delete_category_(
        self,
        category_id: ResourceId,
        principal: NamedDependency[Principal],
        delete_category: NamedDependency[DeleteFocusCategory],
    ) -> None:
        await delete_category(user_id=principal.user_id, category_id=CategoryId(category_id))


class FocusSessionsController(Controller):
    path = "/api/focus/sessions"
    tags = ["Focus timer"]
    security = BEARER
    dependencies = {
        "start_session": use_case(lambda c: c.focus.start_session),
        "stop_session": use_case(lambda c: c.focus.stop_session),
        "list_sessions": use_case(lambda c: c.focus.list_sessions),
    }

    @post(
        status_code=HTTP_201_CREATED,
        operation_id="StartFocusSession",
        summary="Start a focus session (a pomodoro)",
        description=(
            "`focus_minutes` 1-180 (default 25), `break_minutes` 1-60 (default 5): outside → 422 naming the field. "
            "`category_id`: one of your categories (else 422 naming `category_id`). `tz`: the time zone you are "
            "in, used to place the completed pomodoro on a calendar day for streaks: "
            + TIME_ZONES
            + " The session runs until `ends_at` = `started_at` + `focus_minutes`; then it is `completed` and your "
            "Socket.IO `/chat` connections receive `focus:break` `{session_id, break_minutes, ended_at}`. "
            "You can have one running session: starting another → 409 (guaranteed by the database, also for "
            "concurrent requests)."
        ),
    )
    async def start(
        self,
        data: JSONBody[FocusSessionStart],
        principal: NamedDependency[Principal],
        start_session: NamedDependency[StartFocusSession],
    ) -> FocusSessionResponse:
        session = await start_session(
            user_id=principal.user_id,
            category_id=CategoryId(data.category_id) if data.category_id is not None else None,
            focus_minutes=data.focus_minutes,
            break_minutes=data.break_minutes,
            tz=TimeZone.parse(data.tz),
        )
        return FocusSessionResponse.of(session)

    @post(
        "/{session_id:int}/stop",
        status_code=HTTP_200_OK,
        operation_id="StopFocusSession",
        summary="Stop your running focus session early",
        description="The session becomes `stopped` at this moment (`ended_at`). A session that is not running "
        "(stopped, or completed: its `ends_at` has passed) → 409. Someone else's session answers 404.",
    )
    async def stop(
        self,
        session_id: ResourceId,
        principal: NamedDependency[Principal],
        stop_session: NamedDependency[StopFocusSession],
    ) -> FocusSessionResponse:
        session = await stop_session(user_id=principal.user_id, session_id=FocusSessionId(session_id))
        return FocusSessionResponse.of(session)

    @get(
        operation_id="ListFocusSessions",
        summary="Your focus sessions",
        description=(
            "Newest first. Filters: `category_id`; `from` (inclusive) and `to` (exclusive) on `started_at`, ISO "
            "8601 datetimes (without an offset they are UTC; `to` before `from` → 422). `status` is as of now: a "
            "session whose `ends_at` has passed is `completed` (with `ended_at` = `ends_at`) even before the "
            "completion job has run."
        ),
    )
    async def list_sessions_(
        self,
        principal: NamedDependency[Principal],
        page: NamedDependency[PageRequest],
        list_sessions: NamedDependency[ListFocusSessions],
        category_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_INT)] = None,
        started_from: Annotated[str | None, QueryParameter(name="from", **MOMENT_PARAMETER)] = None,
        started_before: Annotated[str | None, QueryParameter(name="to", **MOMENT_PARAMETER)] = None,
    ) -> PageResponse[FocusSessionResponse]:
        found = await list_sessions(
            user_id=principal.user_id,
            page=page,
            category_id=CategoryId(category_id) if category_id is not None else None,
            started_from=query_moment("from", started_from),
            started_before=query_moment("to", started_before),
        )
        return PageResponse.of(found, FocusSessionResponse.of)


class AchievementsController(Controller):
    path = "/api/achievements"
    tags = ["Focus timer"]
    security = BEARER
    dependencies = {"evaluate_achievements": use_case(lambda c: c.focus.evaluate_achievements)}

    @get(
        operation_id="ListAchievements",
        summary="Every achievement, with when you unlocked it",
        description=(
            "`unlocked_at` is null while locked. Achievements are evaluated when their facts change (a focus "
            "session completes) and on this request (reading time, borrowings returned on time); each unlocks "
            "once, and `unlocked_at` is the moment of the qualifying event (e.g. the completion of your 10th "
            "pomodoro), not the moment it was noticed. Streaks count calendar days in the time zone each "
            "pomodoro was started in. Codes: `first_pomodoro`, `ten_pomodoros`, `hundred_pomodoros`, "
            "`streak_3_days`, `streak_7_days`, `reading_10_hours`, `first_on_time_return`."
        ),
    )
    async def list_achievements(
        self,
        principal: NamedDependency[Principal],
        page: NamedDependency[PageRequest],
        evaluate_achievements: NamedDependency[EvaluateAchievements],
    ) -> PageResponse[AchievementResponse]:
        states = await evaluate_achievements(user_id=principal.user_id)
        window = states[page.offset : page.offset + page.limit]
        found = Page(items=window, total=len(states), limit=page.limit, offset=page.offset)
        return PageResponse.of(found, AchievementResponse.of)


class ChartFormat(StrEnum):
    JSON = "json"
    SVG = "svg"


@dataclass
class StatsOperation(Operation):
    """The statistics answer JSON, or an SVG image with ``format=svg``: both in the document."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse):
            ok.content = {
                **(ok.content or {}),
                SVG_MEDIA_TYPE: OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING, description="An SVG bar chart (`format=svg`).")
                ),
            }


class StatsController(Controller):
    path = "/api/stats"
    tags = ["Focus timer"]
    security = BEARER
    dependencies = {"statistics": use_case(lambda c: c.focus.statistics)}

    @get(
        operation_id="FocusStatistics",
        operation_class=StatsOperation,
        summary="Your focus and reading time in the current day, week, month or year",
        description=(
            "The period (default `week`) is the one containing now on the wall clock of `tz`: "
            + TIME_ZONES
            + " It runs from local midnight of its first day (weeks start on Monday) to local midnight after "
            "its last, `[start, end)`. `focus_by_category` lists each of your categories (zero included, largest "
            "first) plus `Uncategorized` when sessions without a category have time; a completed session counts "
            "its focus time, a stopped one the time actually focused (start to stop), a running one nothing "
            "until it ends; a session crossing the period's edge counts the part inside. `completed_pomodoros` "
            "counts sessions completed (at `ends_at`) within the period. `reading_by_book` sums closed reading "
            "sessions, the part inside the period. `format=svg` returns the focus time as an `image/svg+xml` "
            'bar chart: one `<rect class="bar">` per category with `data-category-id` and `data-seconds`, '
            "lengths proportional to the seconds."
        ),
    )
    async def stats(
        self,
        principal: NamedDependency[Principal],
        statistics: NamedDependency[FocusStatistics],
        period: FromQuery[Period] = Period.WEEK,
        tz: Annotated[
            str | None, QueryParameter(max_length=TIME_ZONE_MAX + 1, description=TIME_ZONES, pattern=NO_NUL)
        ] = None,
        format: FromQuery[ChartFormat] = ChartFormat.JSON,
    ) -> Response[StatsResponse]:
        report = await statistics(user_id=principal.user_id, period=period, tz=TimeZone.parse(tz))
        if format is ChartFormat.SVG:
            return Response(focus_chart(report), media_type=SVG_MEDIA_TYPE)  # type: ignore[arg-type]
        return Response(StatsResponse.of(report))
