"""Achievements: rules over a user's history, each earned once, at the moment it was earned.

A rule looks at the facts of one user (completed pomodoros, closed reading sessions, borrowings
returned on time) and answers *when* the achievement was earned, or ``None``. That moment is the
time of the qualifying event, never the time of the evaluation, so evaluating late (a catch-up
after downtime, a lazy evaluation on read) unlocks with the same ``unlocked_at`` as evaluating
at once:

* pomodoro counts: the completion (``ends_at``) of the N-th completed session;
* streaks: N consecutive calendar days with at least one completed pomodoro, each pomodoro
  placed on the day of its completion on the wall clock of the time zone it was started in
  (a pomodoro completed at 23:30 UTC in ``+02:00`` counts for the next day); earned at the
  first completion of the day that closed the first such run;
* reading hours: the end of the closed reading session that brought the sum of closed sessions
  (whole seconds each) to the threshold;
* a borrowing returned on time (``actual_return_date <= expected_return_date``): a return is
  known by its date only, so the moment is the evaluation time, but no later than the end of the
  return day (UTC). Evaluated when the return happens, that is the moment of the return.

Facts only grow, so an earned achievement stays earned (``earned`` is monotone) and the stored
``unlocked_at`` of an achievement never changes once written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from domain.focus import UTC_ZONE, TimeZone
from domain.reading import whole_seconds
from domain.shared import ensure_aware


class AchievementCode(StrEnum):
    FIRST_POMODORO = "first_pomodoro"
    TEN_POMODOROS = "ten_pomodoros"
    HUNDRED_POMODOROS = "hundred_pomodoros"
    STREAK_3_DAYS = "streak_3_days"
    STREAK_7_DAYS = "streak_7_days"
    READING_10_HOURS = "reading_10_hours"
    FIRST_ON_TIME_RETURN = "first_on_time_return"


@dataclass(frozen=True, slots=True)
class Completion:
    """A completed pomodoro: when it completed and the time zone it was started in."""

    at: datetime
    tz: TimeZone = UTC_ZONE

    @property
    def day(self) -> date:
        return self.tz.day_of(self.at)


@dataclass(frozen=True, slots=True)
class ReadingSpan:
    """A closed reading session."""

    started_at: datetime
    ended_at: datetime

    @property
    def seconds(self) -> int:
        return whole_seconds(self.ended_at - self.started_at)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules know of one user at ``now``."""

    now: datetime
    completions: tuple[Completion, ...] = ()
    reading: tuple[ReadingSpan, ...] = ()
    on_time_returns: tuple[date, ...] = field(default=())


Rule = Callable[[Facts], datetime | None]


def nth_completion(n: int) -> Rule:
    def rule(facts: Facts) -> datetime | None:
        moments = sorted(ensure_aware(c.at) for c in facts.completions)
        return moments[n - 1] if len(moments) >= n else None

    return rule


def first_completion_per_day(completions: Iterable[Completion]) -> dict[date, datetime]:
    first: dict[date, datetime] = {}
    for completion in completions:
        day, moment = completion.day, ensure_aware(completion.at)
        if day not in first or moment < first[day]:
            first[day] = moment
    return first


def longest_streak(days: Iterable[date]) -> int:
    """The longest run of consecutive calendar days among ``days``."""
    best, run, previous = 0, 0, None
    for day in sorted(set(days)):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best, previous = max(best, run), day
    return best


def streak_earned_at(completions: Iterable[Completion], days: int) -> datetime | None:
    """The first moment ``days`` consecutive days each had a completed pomodoro: over every run
    of ``days`` consecutive days, the moment its last-covered day got its first pomodoro; the
    earliest such moment."""
    first = first_completion_per_day(completions)
    best: datetime | None = None
    for start in first:
        window = [first.get(start + timedelta(days=k)) for k in range(days)]
        if all(moment is not None for moment in window):
            covered = max(moment for moment in window if moment is not None)
            best = covered if best is None or covered < best else best
    return best


def streak(days: int) -> Rule:
    def rule(facts: Facts) -> datetime | None:
        return streak_earned_at(facts.completions, days)

    return rule


def reading_hours(hours: int) -> Rule:
    threshold = hours * 3600

    def rule(facts: Facts) -> datetime | None:
        total = 0
        for span in sorted(facts.reading, key=lambda s: ensure_aware(s.ended_at)):
            total += span.seconds
            if total >= threshold:
                return ensure_aware(span.ended_at)
        return None

    return rule


def end_of_day_utc(day: date) -> datetime:
    """Midnight (UTC) after ``day``."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def first_on_time_return(facts: Facts) -> datetime | None:
    if not facts.on_time_returns:
        return None
    return min(ensure_aware(facts.now), end_of_day_utc(min(facts.on_time_returns)))


@dataclass(frozen=True, slots=True)
class Achievement:
    code: AchievementCode
    title: str
    description: str
    rule: Rule = field(repr=False, compare=False)


ACHIEVEMENTS: tuple[Achievement, ...] = (
    Achievement(AchievementCode.FIRST_POMODORO, "First pomodoro", "Complete a focus session.", nth_completion(1)),
    Achievement(AchievementCode.TEN_POMODOROS, "Ten pomodoros", "Complete 10 focus sessions.", nth_completion(10)),
    Achievement(
        AchievementCode.HUNDRED_POMODOROS, "A hundred pomodoros", "Complete 100 focus sessions.", nth_completion(100)
    ),
    Achievement(
        AchievementCode.STREAK_3_DAYS,
        "Three-day streak",
        "Complete at least one pomodoro on each of 3 consecutive days.",
        streak(3),
    ),
    Achievement(
        AchievementCode.STREAK_7_DAYS,
        "Seven-day streak",
        "Complete at least one pomodoro on each of 7 consecutive days.",
        streak(7),
    ),
    Achievement(
        AchievementCode.READING_10_HOURS,
        "Ten hours of reading",
        "Read for 10 hours in total (closed reading sessions).",
        reading_hours(10),
    ),
    Achievement(
        AchievementCode.FIRST_ON_TIME_RETURN,
        "Back on time",
        "Return a borrowed book no later than its expected return date.",
        first_on_time_return,
    ),
)


def earned(facts: Facts) -> dict[AchievementCode, datetime]:
    """Every achievement the facts earn, with the moment each was earned."""
    found: dict[AchievementCode, datetime] = {}
    for achievement in ACHIEVEMENTS:
        moment = achievement.rule(facts)
        if moment is not None:
            found[achievement.code] = moment
    return found


def newly_earned(facts: Facts, unlocked: Mapping[AchievementCode, datetime]) -> dict[AchievementCode, datetime]:
    """What the facts earn that is not unlocked yet (an unlocked achievement is never re-dated)."""
    return {code: moment for code, moment in earned(facts).items() if code not in unlocked}


@dataclass(frozen=True, slots=True)
class AchievementState:
    achievement: Achievement
    unlocked_at: datetime | None


def board(unlocked: Mapping[AchievementCode, datetime]) -> list[AchievementState]:
    """Every achievement, in catalogue order, with its unlock moment or ``None``."""
    return [AchievementState(a, unlocked.get(a.code)) for a in ACHIEVEMENTS]
