"""Achievement rules over generated histories: earned once, at the qualifying event, monotone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.achievements import (
    ACHIEVEMENTS,
    AchievementCode,
    Completion,
    Facts,
    ReadingSpan,
    board,
    earned,
    longest_streak,
    newly_earned,
    streak_earned_at,
)
from domain.focus import TimeZone

START = datetime(2026, 3, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
C = AchievementCode
COMPLETION_CODES = {C.FIRST_POMODORO, C.TEN_POMODOROS, C.HUNDRED_POMODOROS, C.STREAK_3_DAYS, C.STREAK_7_DAYS}

zones = st.sampled_from(["UTC", "+02:00", "-05:00", "+14:00", "-11:00", "Europe/Paris", "America/New_York"]).map(
    TimeZone.parse
)
completions = st.builds(
    Completion,
    at=st.integers(min_value=0, max_value=20 * 24 * 60).map(lambda minutes: START + timedelta(minutes=minutes)),
    tz=zones,
)
spans = st.builds(
    lambda start, seconds: ReadingSpan(START + timedelta(seconds=start), START + timedelta(seconds=start + seconds)),
    st.integers(min_value=0, max_value=20 * 86400),
    st.integers(min_value=0, max_value=6 * 3600),
)
histories = st.builds(
    lambda cs, rs, returns: Facts(now=NOW, completions=tuple(cs), reading=tuple(rs), on_time_returns=tuple(returns)),
    st.lists(completions, max_size=40),
    st.lists(spans, max_size=12),
    st.lists(st.dates(min_value=date(2026, 3, 1), max_value=date(2026, 5, 31)), max_size=2),
)


def prefix(facts: Facts, until: datetime) -> Facts:
    """The history as it stood at ``until`` (returns left out: they are dated by the evaluation)."""
    return Facts(
        now=until,
        completions=tuple(c for c in facts.completions if c.at <= until),
        reading=tuple(r for r in facts.reading if r.ended_at <= until),
    )


def event_times(facts: Facts) -> list[datetime]:
    return sorted({c.at for c in facts.completions} | {r.ended_at for r in facts.reading})


# --------------------------------------------------------------------------- examples


def test_a_pomodoro_completed_at_23_30_utc_counts_for_the_next_day_at_plus_two() -> None:
    plus_two = TimeZone.parse("+02:00")
    # 1 March 12:00, 2 March 23:30 UTC (= 3 March at +02:00), 4 March 08:00 at +02:00.
    history = [
        Completion(datetime(2026, 3, 1, 12, tzinfo=UTC), plus_two),
        Completion(datetime(2026, 3, 2, 23, 30, tzinfo=UTC), plus_two),
        Completion(datetime(2026, 3, 4, 6, tzinfo=UTC), plus_two),
    ]
    assert streak_earned_at(history, 3) is None, "1, 3 and 4 March: no three-day run"
    history.append(Completion(datetime(2026, 3, 2, 8, tzinfo=UTC), plus_two))  # 2 March
    assert streak_earned_at(history, 3) == datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    in_utc = [Completion(c.at) for c in history]  # the same moments read in UTC: 1, 2, 2 and 4 March
    assert streak_earned_at(in_utc, 3) is None


def test_a_streak_is_earned_by_the_first_pomodoro_of_the_day_that_closed_it() -> None:
    day = timedelta(days=1)
    history = [Completion(START + timedelta(hours=h) + k * day) for k in range(3) for h in (9, 18)]
    assert streak_earned_at(history, 3) == START + 2 * day + timedelta(hours=9)
    assert streak_earned_at(history, 4) is None


def test_the_longest_streak_counts_consecutive_days() -> None:
    d = date(2026, 3, 1)
    assert longest_streak([]) == 0
    assert longest_streak([d, d, d]) == 1
    assert longest_streak([d + timedelta(days=k) for k in (0, 1, 2, 4, 5, 6, 7)]) == 4
    assert longest_streak([date(2026, 2, 28), date(2026, 3, 1)]) == 2


def test_ten_hours_of_reading_are_reached_at_the_end_of_the_session_that_reached_them() -> None:
    spans = [
        ReadingSpan(START, START + timedelta(hours=6)),
        ReadingSpan(START + timedelta(days=1), START + timedelta(days=1, hours=4)),
    ]
    assert earned(Facts(now=NOW, reading=tuple(spans)))[C.READING_10_HOURS] == START + timedelta(days=1, hours=4)
    short = (spans[0], ReadingSpan(spans[1].started_at, spans[1].ended_at - timedelta(seconds=1)))
    assert C.READING_10_HOURS not in earned(Facts(now=NOW, reading=short))


def test_an_on_time_return_is_dated_now_or_at_the_latest_at_the_end_of_its_day() -> None:
    returned = date(2026, 5, 3)
    same_day = datetime(2026, 5, 3, 15, tzinfo=UTC)
    assert earned(Facts(now=same_day, on_time_returns=(returned,)))[C.FIRST_ON_TIME_RETURN] == same_day
    later = earned(Facts(now=NOW, on_time_returns=(returned, date(2026, 5, 9))))
    assert later[C.FIRST_ON_TIME_RETURN] == datetime(2026, 5, 4, tzinfo=UTC)


def test_the_board_lists_every_achievement_in_order() -> None:
    moment = START + timedelta(hours=1)
    states = board({C.TEN_POMODOROS: moment})
    assert [s.achievement.code for s in states] == [a.code for a in ACHIEVEMENTS] == list(C)
    assert [s.unlocked_at for s in states if s.unlocked_at] == [moment]
    assert len({a.code for a in ACHIEVEMENTS}) == len(ACHIEVEMENTS)
    assert all(len(a.code.value) <= 32 for a in ACHIEVEMENTS), "fits user_achievements.code"


# --------------------------------------------------------------------------- properties


@given(history=histories)
def test_each_achievement_is_earned_at_the_time_of_a_qualifying_event(history: Facts) -> None:
    found = earned(history)
    completion_times = {c.at for c in history.completions}
    for code, moment in found.items():
        if code in COMPLETION_CODES:
            assert moment in completion_times
        elif code is C.READING_10_HOURS:
            assert moment in {r.ended_at for r in history.reading}
        else:
            assert moment <= history.now


@given(history=histories)
def test_a_history_cut_at_any_moment_earns_exactly_what_was_earned_by_then(history: Facts) -> None:
    full = {code: at for code, at in earned(history).items() if code is not C.FIRST_ON_TIME_RETURN}
    for moment in event_times(history):
        assert earned(prefix(history, moment)) == {code: at for code, at in full.items() if at <= moment}


@given(history=histories, more=histories)
def test_more_facts_never_take_an_achievement_away_nor_make_it_later(history: Facts, more: Facts) -> None:
    merged = Facts(
        now=NOW,
        completions=history.completions + more.completions,
        reading=history.reading + more.reading,
        on_time_returns=history.on_time_returns + more.on_time_returns,
    )
    before, after = earned(history), earned(merged)
    assert set(before) <= set(after)
    assert all(after[code] <= moment for code, moment in before.items())


@given(history=histories)
def test_counts_and_streaks_agree_with_a_plain_recount(history: Facts) -> None:
    found = earned(history)
    ordered = sorted(c.at for c in history.completions)
    for code, n in ((C.FIRST_POMODORO, 1), (C.TEN_POMODOROS, 10), (C.HUNDRED_POMODOROS, 100)):
        assert found.get(code) == (ordered[n - 1] if len(ordered) >= n else None)
    for code, days in ((C.STREAK_3_DAYS, 3), (C.STREAK_7_DAYS, 7)):
        longest = longest_streak(c.day for c in history.completions)
        assert (code in found) == (longest >= days)
        if code in found:
            before = [c for c in history.completions if c.at < found[code]]
            assert longest_streak(c.day for c in before) < days, "not earned any earlier"
            upto = [c for c in history.completions if c.at <= found[code]]
            assert longest_streak(c.day for c in upto) >= days


@given(history=histories, already=st.dictionaries(st.sampled_from(list(C)), st.just(START), max_size=3))
def test_what_is_unlocked_is_never_earned_again(history: Facts, already: dict[AchievementCode, datetime]) -> None:
    fresh = newly_earned(history, already)
    assert not set(fresh) & set(already)
    assert set(fresh) | set(already) >= set(earned(history))


@pytest.mark.parametrize("days", [3, 7])
def test_a_streak_across_a_daylight_saving_change_still_counts(days: int) -> None:
    paris = TimeZone.parse("Europe/Paris")
    # Clocks go forward on 29 March 2026 (a 23-hour day); 23:30 on the wall clock each night.
    nights = [
        datetime.combine(date(2026, 3, 25) + timedelta(days=k), time(23, 30), tzinfo=paris.tzinfo) for k in range(days)
    ]
    history = [Completion(night.astimezone(UTC), paris) for night in nights]
    assert streak_earned_at(history, days) == history[-1].at


@given(
    moments=st.lists(st.integers(min_value=0, max_value=12 * 24 * 60), max_size=30),
    minutes=st.integers(min_value=-14 * 60, max_value=14 * 60),
    days=st.sampled_from([3, 7]),
)
def test_streak_days_are_read_on_the_wall_clock_of_the_offset(moments: list[int], minutes: int, days: int) -> None:
    """At ``+02:00`` a pomodoro at 23:30 UTC is one at 01:30 the next day: the same as shifting
    every moment by the offset and reading the days in UTC."""
    offset = timedelta(minutes=minutes)
    sign = "-" if minutes < 0 else "+"
    tz = TimeZone.parse(f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}")
    at = [START + timedelta(minutes=m) for m in moments]
    local = streak_earned_at([Completion(moment, tz) for moment in at], days)
    shifted = streak_earned_at([Completion(moment + offset) for moment in at], days)
    assert (local is None) == (shifted is None)
    if local is not None and shifted is not None:
        assert local + offset == shifted
