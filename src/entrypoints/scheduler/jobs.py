"""The jobs. Each one calls a use case, exactly as HTTP does; each is idempotent, so a
late or repeated run does no harm.

To add a job: write ``async def my_job(c: App) -> object`` (return something printable,
e.g. a report) and add a ``JobSpec`` to ``JOBS``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from entrypoints.settings import Settings

if TYPE_CHECKING:
    from entrypoints.container import App


@dataclass(frozen=True, slots=True)
class JobSpec:
    name: str
    description: str
    run: Callable[[App], Awaitable[object]]
    trigger: Callable[[Settings], BaseTrigger]
    options: dict[str, Any] = field(default_factory=dict)


def every(seconds: int | Callable[[Settings], int]) -> Callable[[Settings], BaseTrigger]:
    def trigger(settings: Settings) -> BaseTrigger:
        value = seconds(settings) if callable(seconds) else seconds
        return IntervalTrigger(seconds=value, timezone="UTC")

    return trigger


def daily_at(hour: Callable[[Settings], int]) -> Callable[[Settings], BaseTrigger]:
    def trigger(settings: Settings) -> BaseTrigger:
        return CronTrigger(hour=hour(settings), minute=0, timezone="UTC")

    return trigger


async def send_outbox(c: App) -> object:
    """Deliver due emails and Telegram notices; failures are retried per their policy."""
    return await c.delivery.deliver_outbox()()


async def reading_stats(c: App) -> object:
    """Recompute every user's ``session_stats`` in one set-based statement."""
    return await c.catalog.refresh_reading_stats()()


async def expire_payments(c: App) -> object:
    """PENDING payments whose checkout session has expired become EXPIRED (renewable)."""
    return f"expired {await c.circulation.expire_payments()()} payments"


async def complete_focus_sessions(c: App) -> object:
    """Complete the focus sessions whose time is up; achievements, then ``focus:break`` pushes."""
    return await c.focus.complete_sessions()()


async def expire_holds(c: App) -> object:
    """Ready holds not claimed in time expire; each copy passes to the next reader or the shelf."""
    return f"expired {await c.circulation.expire_holds()()} holds"


async def overdue_digest(c: App) -> object:
    """Post the borrowings due by tomorrow to Telegram and email each borrower (once a day)."""
    return await c.circulation.send_overdue_digest()()


async def publish_events(c: App) -> object:
    """Publish the scheduled events whose ``available_at`` has passed (one conditional UPDATE)."""
    return await c.community.publish_due_events()()


JOBS: list[JobSpec] = [
    JobSpec("send_outbox", "Deliver queued emails and Telegram notices (retries included).", send_outbox, every(2)),
    JobSpec(
        "reading_stats",
        "Refresh every user's reading statistics (session_stats).",
        reading_stats,
        every(lambda settings: settings.reading_stats_interval_seconds),
    ),
    JobSpec("expire_payments", "Mark PENDING payments whose checkout expired as EXPIRED.", expire_payments, every(60)),
    JobSpec(
        "complete_focus_sessions",
        "Complete focus sessions whose time is up, re-evaluate achievements, push focus:break.",
        complete_focus_sessions,
        every(1),
    ),
    JobSpec("publish_events", "Publish scheduled events whose publish delay has passed.", publish_events, every(1)),
    JobSpec("expire_holds", "Expire ready holds not claimed in time; serve the next reader.", expire_holds, every(60)),
    JobSpec(
        "overdue_digest",
        "Post borrowings due by tomorrow to Telegram and email reminders (once a day, OVERDUE_DIGEST_HOUR UTC).",
        overdue_digest,
        daily_at(lambda settings: settings.overdue_digest_hour),
        # Late by up to 6 hours (a busy or restarting scheduler) still sends the day's digest.
        {"misfire_grace_time": 6 * 3600, "coalesce": True},
    ),
]


def job_named(name: str) -> JobSpec:
    for spec in JOBS:
        if spec.name == name:
            return spec
    known = ", ".join(spec.name for spec in JOBS)
    raise KeyError(f"no job named {name!r}; known jobs: {known}")
