"""Focus timer, achievements and statistics: request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from domain.achievements import AchievementState
from domain.focus import (
    CATEGORY_NAME_MAX,
    DEFAULT_BREAK_MINUTES,
    DEFAULT_FOCUS_MINUTES,
    TIME_ZONE_MAX,
    BookSeconds,
    CategorySeconds,
    FocusCategory,
    FocusReport,
    FocusSession,
    FocusStatus,
    Period,
)
from entrypoints.http.schemas.common import MAX_ID

CategoryName = Annotated[
    str, msgspec.Meta(min_length=1, max_length=CATEGORY_NAME_MAX + 32, examples=["Deep work"])
]  # surrounding spaces are trimmed, then at most 64 characters
Color = Annotated[str, msgspec.Meta(min_length=1, max_length=16, description="`#rrggbb`", examples=["#3b82f6"])]
CategoryRef = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID, description="One of your categories.")]
Minutes = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]
TimeZoneName = Annotated[
    str,
    msgspec.Meta(
        max_length=TIME_ZONE_MAX,
        description="`UTC`, an offset such as `+02:00`, or an IANA name such as `Europe/Paris`.",
        examples=["Europe/Paris"],
    ),
]


class FocusCategoryCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: CategoryName
    color: Color


class FocusCategoryPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Send only what changes."""

    name: CategoryName | msgspec.UnsetType = msgspec.UNSET
    color: Color | msgspec.UnsetType = msgspec.UNSET


class FocusCategoryResponse(msgspec.Struct, kw_only=True):
    id: int
    name: str
    color: str

    @classmethod
    def of(cls, category: FocusCategory) -> FocusCategoryResponse:
        return cls(id=category.cid, name=category.name, color=category.color)


class FocusSessionStart(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    category_id: CategoryRef | None = None
    focus_minutes: Minutes = DEFAULT_FOCUS_MINUTES
    break_minutes: Minutes = DEFAULT_BREAK_MINUTES
    tz: TimeZoneName | None = None


class FocusSessionResponse(msgspec.Struct, kw_only=True):
    id: int
    category_id: int | None
    focus_minutes: int
    break_minutes: int
    started_at: datetime
    ends_at: datetime
    ended_at: datetime | None
    status: FocusStatus
    tz: str

    @classmethod
    def of(cls, session: FocusSession) -> FocusSessionResponse:
        return cls(
            id=session.sid,
            category_id=session.category_id,
            focus_minutes=session.focus_minutes,
            break_minutes=session.break_minutes,
            started_at=session.started_at,
            ends_at=session.ends_at,
            ended_at=session.ended_at,
            status=session.status,
            tz=session.tz.name,
        )


class AchievementResponse(msgspec.Struct, kw_only=True):
    code: str
    title: str
    description: str
    unlocked_at: datetime | None

    @classmethod
    def of(cls, state: AchievementState) -> AchievementResponse:
        a = state.achievement
        return cls(code=a.code.value, title=a.title, description=a.description, unlocked_at=state.unlocked_at)


class CategorySecondsResponse(msgspec.Struct, kw_only=True):
    category_id: int | None
    name: str
    color: str | None
    seconds: int

    @classmethod
    def of(cls, item: CategorySeconds) -> CategorySecondsResponse:
        return cls(category_id=item.category_id, name=item.name, color=item.color, seconds=item.seconds)


class BookSecondsResponse(msgspec.Struct, kw_only=True):
    book_id: int
    title: str
    seconds: int

    @classmethod
    def of(cls, item: BookSeconds) -> BookSecondsResponse:
        return cls(book_id=item.book_id, title=item.title, seconds=item.seconds)


class StatsResponse(msgspec.Struct, kw_only=True):
    period: Period
    tz: str
    start: datetime
    end: datetime
    focus_seconds: int
    completed_pomodoros: int
    focus_by_category: list[CategorySecondsResponse]
    reading_seconds: int
    reading_by_book: list[BookSecondsResponse]

    @classmethod
    def of(cls, report: FocusReport) -> StatsResponse:
        return cls(
            period=report.period,
            tz=report.tz.name,
            start=report.start,
            end=report.end,
            focus_seconds=report.focus_seconds,
            completed_pomodoros=report.completed_pomodoros,
            focus_by_category=[CategorySecondsResponse.of(item) for item in report.focus_by_category],
            reading_seconds=report.reading_seconds,
            reading_by_book=[BookSecondsResponse.of(item) for item in report.reading_by_book],
        )
