"""A record of job runs (``job_runs``): who ran what, when, how it ended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import job_runs


class SqlJobRunLog:
    """Writes each record in its own short transaction, apart from the job's own work."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def started(self, job: str, node: str, at: datetime) -> int:
        async with self._engine.begin() as conn:
            run_id = await conn.scalar(
                insert(job_runs).values(job=job, node=node, started_at=at, status="running").returning(job_runs.c.id)
            )
        return int(run_id or 0)

    async def finished(self, run_id: int, *, at: datetime, ok: bool, detail: str | None) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(job_runs)
                .where(job_runs.c.id == run_id)
                .values(finished_at=at, status="ok" if ok else "failed", detail=(detail or None) and detail[:4000])
            )

    async def prune(self, job: str, before: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(job_runs).where(job_runs.c.job == job, job_runs.c.started_at < before))
