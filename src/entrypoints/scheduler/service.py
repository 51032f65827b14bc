"""The scheduler service: APScheduler drives the clock; only the leader runs jobs.

Every process that runs a scheduler (``athenaeum serve`` workers with ``SCHEDULER=on``,
``athenaeum scheduler``) adds the same jobs to an in-memory APScheduler and starts it
*paused*. A leadership loop tries to take the leader lock (a Postgres advisory lock, or a
file lock with SQLite); the holder resumes its scheduler, the others stay paused and try
again. If the leader dies, its lock goes with its connection and another takes over.
Durable work (outbox rows, scheduled events, focus sessions) lives in tables, so nothing is
lost with a process; APScheduler only says *when* to look.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from entrypoints.scheduler.jobs import JOBS, JobSpec
from entrypoints.scheduler.runner import JobRunner, node_name

if TYPE_CHECKING:
    from entrypoints.container import App

log = structlog.get_logger("athenaeum.scheduler")


class SchedulerService:
    def __init__(self, container: App, *, jobs: list[JobSpec] | None = None, leadership_interval: float = 2.0) -> None:
        self._c = container
        self._jobs = JOBS if jobs is None else jobs
        self._interval = leadership_interval
        self._node = node_name()
        self._runner = JobRunner(container, self._node)
        self._lock = container.gateways.leader_lock()
        self._scheduler: AsyncIOScheduler | None = None
        self._leading = False
        self._loop_task: asyncio.Task[None] | None = None

    @property
    def leading(self) -> bool:
        return self._leading

    async def start(self) -> None:
        settings = self._c.settings()
        scheduler = AsyncIOScheduler(
            timezone="UTC",
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )
        for spec in self._jobs:
            scheduler.add_job(
                self._runner.run,
                trigger=spec.trigger(settings),
                args=[spec],
                id=spec.name,
                name=spec.name,
                **spec.options,
            )
        scheduler.start(paused=True)
        self._scheduler = scheduler
        await self._take_the_lead()
        self._loop_task = asyncio.create_task(self._leadership(), name="scheduler-leadership")
        log.info("scheduler started", node=self._node, leading=self._leading, jobs=[s.name for s in self._jobs])

    async def stop(self, timeout: float = 20.0) -> None:
        """Stop taking work, let runs in progress finish (up to ``timeout``), give up the lead."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        if self._scheduler is not None:
            self._scheduler.pause()
            await self._runner.drain(timeout)
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        await self._lock.release()
        self._leading = False
        log.info("scheduler stopped", node=self._node)

    async def _take_the_lead(self) -> None:
        assert self._scheduler is not None  # noqa: S101
        if not self._leading:
            if await self._lock.try_acquire():
                self._leading = True
                self._scheduler.resume()
                log.info("this process now runs the jobs", node=self._node)
        elif not await self._lock.still_held():
            self._leading = False
            self._scheduler.pause()
            log.warning("lost the scheduler lead", node=self._node)

    async def _leadership(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self._take_the_lead()
            except Exception:
                log.warning("leadership check failed", node=self._node, exc_info=True)
