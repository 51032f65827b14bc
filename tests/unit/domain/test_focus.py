"""The focus timer's rules: time zones, sessions, periods and the statistics report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.errors import InvalidValue
from domain.focus import (
    CategoryId,
    DuplicateCategoryName,
    FocusCategory,
    FocusReport,
    FocusSession,
    FocusSessionNotRunning,
    FocusStatus,
    Period,
    TimeZone,
    period_bounds,
)
from domain.shared import UserId

ADA = UserId(1)
T0 = datetime(2026, 3, 11, 10, 0, tzinfo=UTC)

moments = st.integers(min_value=946_684_800, max_value=3_818_000_000).map(  # seconds since the epoch: 2000-2090
    lambda seconds: datetime.fromtimestamp(seconds, UTC)
)
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
)
zones = st.one_of(
    offsets,
    st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Apia"]),
).map(TimeZone.parse)


# --------------------------------------------------------------------------- time zones


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        (None, "UTC"),
        ("", "UTC"),
        ("Z", "UTC"),
        ("utc", "UTC"),
        ("+00:00", "UTC"),
        ("-00:00", "UTC"),
        ("+02:00", "+02:00"),
        ("+0200", "+02:00"),
        (" 02:00", "+02:00"),  # an unencoded plus in a query string
        ("-05:30", "-05:30"),
        ("+14:00", "+14:00"),
        ("-14:00", "-14:00"),
        ("Europe/Paris", "Europe/Paris"),
        ("  Asia/Kolkata ", "Asia/Kolkata"),
    ],
)
def test_time_zones_are_read_in_every_usual_spelling(raw: str | None, name: str) -> None:
    assert TimeZone.parse(raw).name == name


@pytest.mark.parametrize(
    "raw",
    ["+14:01", "-15:00", "+02:60", "+2:00", "02:00", "Europe", "europe/paris", "../etc/passwd", "/etc/localtime",
     "Mars/Olympus", "Europe/Paris\x00", "x" * 65, "+02:00:00", "posixrules", "zone.tab"],
)  # fmt: skip
def test_anything_else_is_refused_naming_the_field(raw: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        TimeZone.parse(raw, field="tz")
    assert refused.value.field == "tz"


def test_a_session_at_23_30_utc_belongs_to_the_next_day_at_plus_two() -> None:
    moment = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert TimeZone.parse("+02:00").day_of(moment) == date(2026, 3, 2)
    assert TimeZone.parse("UTC").day_of(moment) == date(2026, 3, 1)
    assert TimeZone.parse("-05:00").day_of(datetime(2026, 3, 2, 3, tzinfo=UTC)) == date(2026, 3, 1)


def test_iana_zones_follow_daylight_saving_time() -> None:
    paris = TimeZone.parse("Europe/Paris")
    assert paris.start_of(date(2026, 1, 15)) == datetime(2026, 1, 14, 23, tzinfo=UTC)
    assert paris.start_of(date(2026, 7, 15)) == datetime(2026, 7, 14, 22, tzinfo=UTC)


@given(moment=moments, minutes=st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_the_day_of_a_moment_at_an_offset_is_its_utc_moment_shifted(moment: datetime, minutes: int) -> None:
    sign = "-" if minutes < 0 else "+"
    tz = TimeZone.parse(f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}")
    assert tz.day_of(moment) == (moment + timedelta(minutes=minutes)).date()
    assert tz.tzinfo.utcoffset(moment) == timedelta(minutes=minutes)


@given(day=st.dates(min_value=date(2000, 1, 2), max_value=date(2090, 12, 30)), tz=zones)
def test_a_day_starts_at_its_local_midnight_and_ends_where_the_next_begins(day: date, tz: TimeZone) -> None:
    start, after = tz.start_of(day), tz.start_of(day + timedelta(days=1))
    assert start < after
    assert tz.day_of(start) == day
    assert tz.day_of(start - timedelta(microseconds=1)) == day - timedelta(days=1)
    assert tz.day_of(after - timedelta(microseconds=1)) == day


# --------------------------------------------------------------------------- periods


@given(now=moments, tz=zones, period=st.sampled_from(list(Period)))
def test_the_period_contains_now_and_starts_on_its_first_local_day(now: datetime, tz: TimeZone, period: Period) -> None:
    start, end = period_bounds(period, now, tz)
    assert start <= now < end
    first, today = tz.day_of(start), tz.day_of(now)
    expected_first = {
        Period.DAY: today,
        Period.WEEK: today - timedelta(days=today.weekday()),
        Period.MONTH: today.replace(day=1),
        Period.YEAR: today.replace(month=1, day=1),
    }[period]
    assert first == expected_first
    assert tz.day_of(end) != tz.day_of(end - timedelta(microseconds=1))
    next_start, _ = period_bounds(period, end, tz)
    assert next_start == end, "periods tile time without gaps or overlaps"


def test_a_week_starts_on_monday_and_a_month_on_the_first() -> None:
    wednesday = datetime(2026, 3, 11, 10, tzinfo=UTC)
    assert period_bounds(Period.WEEK, wednesday, TimeZone()) == (
        datetime(2026, 3, 9, tzinfo=UTC),
        datetime(2026, 3, 16, tzinfo=UTC),
    )
    assert period_bounds(Period.MONTH, datetime(2026, 12, 31, 23, tzinfo=UTC), TimeZone()) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    # 23:00 UTC on 31 December is already New Year's Day at +02:00.
    assert period_bounds(Period.YEAR, datetime(2026, 12, 31, 23, tzinfo=UTC), TimeZone.parse("+02:00"))[0] == (
        datetime(2026, 12, 31, 22, tzinfo=UTC)
    )


# --------------------------------------------------------------------------- categories


def test_a_category_has_a_trimmed_name_and_a_lower_case_color() -> None:
    category = FocusCategory.create(user_id=ADA, name="  Deep work ", color="#ABCDEF")
    assert (category.name, category.color) == ("Deep work", "#abcdef")
    category.change(color="#000000")
    assert (category.name, category.color) == ("Deep work", "#000000")


@pytest.mark.parametrize(
    ("name", "color", "field"),
    [("", "#000000", "name"), ("x" * 65, "#000000", "name"), ("a\tb", "#000000", "name"),
     ("ok", "#000", "color"), ("ok", "000000", "color"), ("ok", "#00000g", "color"), ("ok", "red", "color")],
)  # fmt: skip
def test_invalid_categories_name_the_field(name: str, color: str, field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        FocusCategory.create(user_id=ADA, name=name, color=color)
    assert refused.value.field == field


def test_duplicate_names_are_a_conflict() -> None:
    assert DuplicateCategoryName.code == "duplicate-focus-category"


# --------------------------------------------------------------------------- sessions


def test_a_session_ends_after_its_focus_minutes() -> None:
    session = FocusSession.start(user_id=ADA, now=T0, focus_minutes=50, break_minutes=10)
    assert session.ends_at == T0 + timedelta(minutes=50)
    assert (session.status, session.ended_at) == (FocusStatus.RUNNING, None)


@pytest.mark.parametrize(
    ("focus", "pause", "field"),
    [(0, 5, "focus_minutes"), (181, 5, "focus_minutes"), (25, 0, "break_minutes"), (25, 61, "break_minutes")],
)
def test_lengths_out_of_range_are_refused(focus: int, pause: int, field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        FocusSession.start(user_id=ADA, now=T0, focus_minutes=focus, break_minutes=pause)
    assert refused.value.field == field


def test_a_session_is_running_only_until_its_end() -> None:
    session = FocusSession.start(user_id=ADA, now=T0, focus_minutes=1)
    assert session.is_running_at(T0 + timedelta(seconds=59))
    assert session.as_of(T0 + timedelta(seconds=59)) is session
    done = session.as_of(T0 + timedelta(minutes=1))
    assert (done.status, done.ended_at, done.completed_at) == (FocusStatus.COMPLETED, session.ends_at, session.ends_at)
    assert session.status is FocusStatus.RUNNING, "as_of does not change the stored session"


def test_only_a_running_session_stops() -> None:
    session = FocusSession.start(user_id=ADA, now=T0)
    session.stop(T0 + timedelta(minutes=3))
    assert (session.status, session.ended_at) == (FocusStatus.STOPPED, T0 + timedelta(minutes=3))
    with pytest.raises(FocusSessionNotRunning):
        session.stop(T0 + timedelta(minutes=4))
    late = FocusSession.start(user_id=ADA, now=T0)
    with pytest.raises(FocusSessionNotRunning, match="completed"):
        late.stop(T0 + timedelta(minutes=25))
    with pytest.raises(FocusSessionNotRunning):
        session.complete()


def test_a_clock_that_stepped_back_never_stops_a_session_before_it_started() -> None:
    session = FocusSession.start(user_id=ADA, now=T0)
    session.stop(T0 - timedelta(seconds=5))
    assert session.ended_at == T0


@given(
    start=moments,
    minutes=st.integers(min_value=1, max_value=180),
    stopped_after=st.one_of(st.none(), st.integers(min_value=0, max_value=180 * 60)),
    tz=zones,
)
def test_focus_time_split_over_consecutive_days_adds_up(
    start: datetime, minutes: int, stopped_after: int | None, tz: TimeZone
) -> None:
    session = FocusSession.start(user_id=ADA, now=start, focus_minutes=minutes)
    if stopped_after is not None:
        assume(stopped_after < minutes * 60)
        session.stop(start + timedelta(seconds=stopped_after))
    now = start + timedelta(days=1)
    total = minutes * 60 if stopped_after is None else stopped_after
    first_day = tz.day_of(start)
    days = [first_day + timedelta(days=k) for k in range(-1, 3)]
    parts = [session.focused_seconds_within(tz.start_of(d), tz.start_of(d + timedelta(days=1)), now) for d in days]
    assert sum(parts) == total
    assert session.focused_seconds_within(start, start, now) == 0


def test_a_running_session_has_no_focus_time_yet() -> None:
    session = FocusSession.start(user_id=ADA, now=T0)
    assert session.focused_seconds_within(T0, T0 + timedelta(hours=1), T0 + timedelta(minutes=10)) == 0
    assert session.focused_seconds_within(T0, T0 + timedelta(hours=1), T0 + timedelta(minutes=30)) == 25 * 60


# --------------------------------------------------------------------------- the report


def test_the_report_lists_every_category_and_the_uncategorized_time() -> None:
    work = FocusCategory(ADA, "Work", "#ff0000", CategoryId(1))
    idle = FocusCategory(ADA, "Idle", "#00ff00", CategoryId(2))
    completed = FocusSession.start(user_id=ADA, now=T0, category_id=work.id)
    loose = FocusSession.start(user_id=ADA, now=T0 + timedelta(hours=1), focus_minutes=10)
    gone = FocusSession.start(user_id=ADA, now=T0 + timedelta(hours=2), focus_minutes=5, category_id=CategoryId(9))
    report = FocusReport.build(
        period=Period.DAY,
        tz=TimeZone(),
        now=T0 + timedelta(hours=5),
        sessions=[completed, loose, gone],
        categories=[work, idle],
        reading=[],
        book_titles={},
    )
    assert [(c.category_id, c.name, c.seconds) for c in report.focus_by_category] == [
        (work.id, "Work", 1500),
        (None, "Uncategorized", 900),
        (idle.id, "Idle", 0),
    ]
    assert (report.focus_seconds, report.completed_pomodoros) == (2400, 3)
