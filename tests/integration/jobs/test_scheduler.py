"""Only one scheduler runs jobs at a time; a job's failure stops nothing; runs are recorded."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from adapters.sql.tables import job_runs
from entrypoints.container import App
from entrypoints.scheduler.jobs import JobSpec, every
from entrypoints.scheduler.runner import JobRunner
from entrypoints.scheduler.service import SchedulerService


def counting_job(name: str, counter: list[str], tag: str) -> JobSpec:
    async def run(_: App) -> object:
        counter.append(tag)
        return f"run by {tag}"

    return JobSpec(name, "counts its runs", run, every(1))


async def recorded_runs(container: App) -> list[tuple[str, str, str | None]]:
    async with container.gateways.engine().connect() as conn:
        rows = (await conn.execute(select(job_runs.c.job, job_runs.c.status, job_runs.c.detail))).all()
    return [(row.job, row.status, row.detail) for row in rows]


async def test_two_schedulers_on_one_database_run_each_tick_once_and_hand_over(container: App) -> None:
    runs: list[str] = []
    first = SchedulerService(container, jobs=[counting_job("tick", runs, "first")], leadership_interval=0.2)
    second = SchedulerService(container, jobs=[counting_job("tick", runs, "second")], leadership_interval=0.2)
    await first.start()
    await second.start()
    try:
        assert first.leading
        assert not second.leading
        await asyncio.sleep(3.2)
        assert set(runs) == {"first"}
        assert 2 <= len(runs) <= 4, runs  # one run per 1-second tick, not two

        await first.stop()
        await asyncio.sleep(0.6)
        assert second.leading, "the other scheduler takes over when the leader stops"
        before = len(runs)
        await asyncio.sleep(2.2)
        assert runs[before:], "the new leader runs the jobs"
        assert set(runs[before:]) == {"second"}
    finally:
        await first.stop()
        await second.stop()


async def test_a_crashing_job_is_recorded_and_the_next_one_still_runs(container: App) -> None:
    async def boom(_: App) -> object:
        raise RuntimeError("bad row 17")

    async def fine(_: App) -> object:
        return "did 3 things"

    runner = JobRunner(container, node="test")
    assert await runner.run(JobSpec("boom", "fails", boom, every(60))) == (False, "RuntimeError: bad row 17")
    assert await runner.run(JobSpec("fine", "works", fine, every(60))) == (True, "did 3 things")
    assert sorted(await recorded_runs(container)) == [
        ("boom", "failed", "RuntimeError: bad row 17"),
        ("fine", "ok", "did 3 things"),
    ]
    metrics = container.gateways.metrics().render().decode()
    assert 'athenaeum_job_runs_total{job="boom",outcome="failed"} 1.0' in metrics
