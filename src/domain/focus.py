"""The focus (Pomodoro) timer: categories, focus sessions, time zones and the statistics periods.

Rules:

* a category belongs to one user; its name (1-64 characters, one line) is unique per user
  (case-sensitive) and its color is ``#rrggbb`` (stored in lower case);
* a focus session lasts ``focus_minutes`` (1-180, default 25) and announces a break of
  ``break_minutes`` (1-60, default 5); it ends at ``ends_at = started_at + focus_minutes``;
* a user has at most one running session; a session is *running* only while ``now < ends_at``:
  from ``ends_at`` on it is *completed* (at ``ends_at``) whether or not the completion job has
  written that yet (``as_of(now)``);
* only a running session can be stopped (early): it becomes *stopped* at that moment;
* focus time is the part of a session's span (``started_at`` to ``ends_at`` when completed,
  to ``ended_at`` when stopped) inside a period; a running session counts once it ends;
* a pomodoro counts in the period, and on the calendar day, of its completion (``ends_at``).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from enum import StrEnum
from functools import cache
from typing import NewType

from domain.errors import Conflict, InvalidValue
from domain.reading import ReadingSession, whole_seconds
from domain.shared import UserId, ensure_aware, has_control_characters

CategoryId = NewType("CategoryId", int)
FocusSessionId = NewType("FocusSessionId", int)

CATEGORY_NAME_MAX = 64
FOCUS_MINUTES_MIN, FOCUS_MINUTES_MAX, DEFAULT_FOCUS_MINUTES = 1, 180, 25
BREAK_MINUTES_MIN, BREAK_MINUTES_MAX, DEFAULT_BREAK_MINUTES = 1, 60, 5
TIME_ZONE_MAX = 64
#: Offsets in use on Earth run from -12:00 to +14:00.
MAX_OFFSET = timedelta(hours=14)

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_OFFSET = re.compile(r"(?P<sign>[+-])(?P<hours>\d{2}):?(?P<minutes>\d{2})")
#: ``?tz=+02:00`` unencoded in a query string arrives as `` 02:00`` (``+`` means a space there).
_OFFSET_WITH_LOST_PLUS = re.compile(r" \d{2}:?\d{2}")


# --------------------------------------------------------------------------- errors


class DuplicateCategoryName(Conflict):
    code = "duplicate-focus-category"
    title = "You already have a category with this name"


class FocusSessionAlreadyRunning(Conflict):
    code = "focus-session-running"
    title = "You already have a running focus session"


class FocusSessionNotRunning(Conflict):
    code = "focus-session-not-running"
    title = "The focus session is not running"


# --------------------------------------------------------------------------- time zones


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@dataclass(frozen=True, slots=True)
class TimeZone:
    """A user's time zone: ``UTC``, a fixed offset such as ``+02:00``, or an IANA name such as
    ``Europe/Paris`` (daylight saving time included). ``name`` is the canonical spelling."""

    name: str = "UTC"

    @classmethod
    def parse(cls, raw: str | None, field: str = "tz") -> TimeZone:
        if raw is None:
            return cls()
        if _OFFSET_WITH_LOST_PLUS.fullmatch(raw):
            raw = "+" + raw[1:]
        text = raw.strip()
        if text in {"", "Z", "z", "UTC", "utc"}:
            return cls()
        offset = _OFFSET.fullmatch(text)
        if offset:
            hours, minutes = int(offset["hours"]), int(offset["minutes"])
            span = timedelta(hours=hours, minutes=minutes)
            if minutes >= 60 or span > MAX_OFFSET:  # noqa: PLR2004
                raise InvalidValue(field, "An offset runs from -14:00 to +14:00.")
            if not span:
                return cls()
            return cls(f"{offset['sign']}{hours:02d}:{minutes:02d}")
        if len(text) > TIME_ZONE_MAX or text not in _known_zones():
            raise InvalidValue(
                field, "Unknown time zone: give an offset such as +02:00 or an IANA name such as Europe/Paris."
            )
        return cls(text)

    @property
    def tzinfo(self) -> tzinfo:
        if self.name == "UTC":
            return UTC
        offset = _OFFSET.fullmatch(self.name)
        if offset:
            span = timedelta(hours=int(offset["hours"]), minutes=int(offset["minutes"]))
            return timezone(-span if offset["sign"] == "-" else span)
        return zoneinfo.ZoneInfo(self.name)

    def day_of(self, moment: datetime) -> date:
        """The calendar day on this zone's wall clock at ``moment``."""
        return ensure_aware(moment).astimezone(self.tzinfo).date()

    def start_of(self, day: date) -> datetime:
        """The first moment (UTC) of ``day`` on this zone's wall clock."""
        return datetime.combine(day, time(), tzinfo=self.tzinfo).astimezone(UTC)


UTC_ZONE = TimeZone()


# --------------------------------------------------------------------------- categories


def validate_category_name(raw: str) -> str:
    name = raw.strip()
    if not name:
        raise InvalidValue("name", "The name cannot be empty.")
    if len(name) > CATEGORY_NAME_MAX:
        raise InvalidValue("name", f"At most {CATEGORY_NAME_MAX} characters.")
    if has_control_characters(name):
        raise InvalidValue("name", "The name must be one line of printable characters.")
    return name


def validate_color(raw: str) -> str:
    color = raw.strip()
    if not _COLOR.fullmatch(color):
        raise InvalidValue("color", "A color is written #rrggbb (six hexadecimal digits), e.g. #3b82f6.")
    return color.lower()


@dataclass(slots=True)
class FocusCategory:
    user_id: UserId
    name: str
    color: str
    id: CategoryId | None = None

    @classmethod
    def create(cls, *, user_id: UserId, name: str, color: str) -> FocusCategory:
        return cls(user_id=user_id, name=validate_category_name(name), color=validate_color(color))

    @property
    def cid(self) -> CategoryId:
        if self.id is None:
            msg = "the category has not been saved yet"
            raise RuntimeError(msg)
        return self.id

    def belongs_to(self, user_id: UserId) -> bool:
        return self.user_id == user_id

    def change(self, *, name: str | None = None, color: str | None = None) -> None:
        if name is not None:
            self.name = validate_category_name(name)
        if color is not None:
            self.color = validate_color(color)


# --------------------------------------------------------------------------- focus sessions


class FocusStatus(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"
    COMPLETED = "completed"


def _minutes(field: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise InvalidValue(field, f"Between {low} and {high} minutes.")
    return value


@dataclass(slots=True)
class FocusSession:
    user_id: UserId
    focus_minutes: int
    break_minutes: int
    started_at: datetime
    ends_at: datetime
    category_id: CategoryId | None = None
    tz: TimeZone = UTC_ZONE
    status: FocusStatus = FocusStatus.RUNNING
    ended_at: datetime | None = None
    id: FocusSessionId | None = None

    @classmethod
    def start(
        cls,
        *,
        user_id: UserId,
        now: datetime,
        focus_minutes: int = DEFAULT_FOCUS_MINUTES,
        break_minutes: int = DEFAULT_BREAK_MINUTES,
        category_id: CategoryId | None = None,
        tz: TimeZone = UTC_ZONE,
    ) -> FocusSession:
        focus = _minutes("focus_minutes", focus_minutes, FOCUS_MINUTES_MIN, FOCUS_MINUTES_MAX)
        pause = _minutes("break_minutes", break_minutes, BREAK_MINUTES_MIN, BREAK_MINUTES_MAX)
        started = ensure_aware(now)
        return cls(
            user_id=user_id,
            focus_minutes=focus,
            break_minutes=pause,
            started_at=started,
            ends_at=started + timedelta(minutes=focus),
            category_id=category_id,
            tz=tz,
        )

    @property
    def sid(self) -> FocusSessionId:
        if self.id is None:
            msg = "the focus session has not been saved yet"
            raise RuntimeError(msg)
        return self.id

    def is_running_at(self, now: datetime) -> bool:
        return self.status is FocusStatus.RUNNING and ensure_aware(now) < self.ends_at

    def is_due_at(self, now: datetime) -> bool:
        """Still marked running, but its focus time is over: it is completed (at ``ends_at``)."""
        return self.status is FocusStatus.RUNNING and ensure_aware(now) >= self.ends_at

    def as_of(self, now: datetime) -> FocusSession:
        """The session as it stands at ``now`` (a due session is shown completed)."""
        if self.is_due_at(now):
            return replace(self, status=FocusStatus.COMPLETED, ended_at=self.ends_at)
        return self

    def complete(self) -> None:
        """The completion job: a due session becomes completed at its ``ends_at``."""
        if self.status is not FocusStatus.RUNNING:
            raise FocusSessionNotRunning(f"This focus session is {self.status.value}.")
        self.status, self.ended_at = FocusStatus.COMPLETED, self.ends_at

    def stop(self, now: datetime) -> None:
        moment = ensure_aware(now)
        if not self.is_running_at(moment):
            state = self.as_of(moment).status.value
            raise FocusSessionNotRunning(f"Only a running focus session can be stopped; this one is {state}.")
        # A clock that stepped back never makes a session end before it started.
        self.status, self.ended_at = FocusStatus.STOPPED, max(moment, self.started_at)

    @property
    def completed_at(self) -> datetime | None:
        return self.ends_at if self.status is FocusStatus.COMPLETED else None

    def focus_span(self, now: datetime) -> tuple[datetime, datetime] | None:
        """From the start to the end of focusing, once the session has ended (else ``None``)."""
        session = self.as_of(now)
        if session.status is FocusStatus.COMPLETED:
            return session.started_at, session.ends_at
        if session.status is FocusStatus.STOPPED and session.ended_at is not None:
            return session.started_at, session.ended_at
        return None

    def focused_seconds_within(self, start: datetime, end: datetime, now: datetime) -> int:
        span = self.focus_span(now)
        if span is None:
            return 0
        return whole_seconds(min(span[1], end) - max(span[0], start))


# --------------------------------------------------------------------------- statistics


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


def period_bounds(period: Period, now: datetime, tz: TimeZone) -> tuple[datetime, datetime]:
    """The ``period`` containing ``now`` on ``tz``'s wall clock, as UTC moments ``[start, end)``:
    from local midnight of its first day to local midnight of the day after its last.
    Weeks start on Monday."""
    today = tz.day_of(now)
    if period is Period.DAY:
        first, after = today, today + timedelta(days=1)
    elif period is Period.WEEK:
        first = today - timedelta(days=today.weekday())
        after = first + timedelta(days=7)
    elif period is Period.MONTH:
        first = today.replace(day=1)
        after = date(today.year + (today.month == 12), today.month % 12 + 1, 1)  # noqa: PLR2004
    else:
        first, after = date(today.year, 1, 1), date(today.year + 1, 1, 1)
    return tz.start_of(first), tz.start_of(after)


@dataclass(frozen=True, slots=True)
class CategorySeconds:
    """Focus time of one category (``category_id`` ``None``: sessions without a category)."""

    category_id: CategoryId | None
    name: str
    color: str | None
    seconds: int


@dataclass(frozen=True, slots=True)
class BookSeconds:
    book_id: int
    title: str
    seconds: int


UNCATEGORIZED = "Uncategorized"


@dataclass(frozen=True, slots=True)
class FocusReport:
    period: Period
    tz: TimeZone
    start: datetime
    end: datetime
    completed_pomodoros: int
    focus_by_category: tuple[CategorySeconds, ...]
    reading_by_book: tuple[BookSeconds, ...]

    @property
    def focus_seconds(self) -> int:
        return sum(item.seconds for item in self.focus_by_category)

    @property
    def reading_seconds(self) -> int:
        return sum(item.seconds for item in self.reading_by_book)

    @classmethod
    def build(
        cls,
        *,
        period: Period,
        tz: TimeZone,
        now: datetime,
        sessions: Iterable[FocusSession],
        categories: Iterable[FocusCategory],
        reading: Iterable[ReadingSession],
        book_titles: Mapping[int, str],
    ) -> FocusReport:
        """Every category of the user is listed (zero included), plus "Uncategorized" when
        sessions without a category have time; books only when they have time. Largest first."""
        start, end = period_bounds(period, now, tz)
        listed = list(sessions)
        seconds: dict[CategoryId | None, int] = {category.cid: 0 for category in categories}
        names = {category.cid: (category.name, category.color) for category in categories}
        completed = 0
        for session in listed:
            known = session.category_id if session.category_id in names else None
            seconds[known] = seconds.get(known, 0) + session.focused_seconds_within(start, end, now)
            done = session.as_of(now).completed_at
            if done is not None and start <= done < end:
                completed += 1
        if not seconds.get(None):
            seconds.pop(None, None)
        by_category = []
        for key, value in seconds.items():
            name, color = names[key] if key is not None else (UNCATEGORIZED, None)
            by_category.append(CategorySeconds(key, name, color, value))
        by_category.sort(key=lambda item: (-item.seconds, item.name, item.category_id or 0))
        per_book: dict[int, int] = {}
        for read in reading:
            per_book[read.book_id] = per_book.get(read.book_id, 0) + read.closed_seconds_within(start, end)
        by_book = [
            BookSeconds(book_id, book_titles.get(book_id, f"Book {book_id}"), value)
            for book_id, value in per_book.items()
            if value > 0
        ]
        by_book.sort(key=lambda item: (-item.seconds, item.book_id))
        return cls(
            period=period,
            tz=tz,
            start=start,
            end=end,
            completed_pomodoros=completed,
            focus_by_category=tuple(by_category),
            reading_by_book=tuple(by_book),
        )
