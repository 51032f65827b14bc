"""Runs one job once: records the run, never lets one job's failure stop the others."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog

from entrypoints.scheduler.jobs import JobSpec

if TYPE_CHECKING:
    from entrypoints.container import App

log = structlog.get_logger("athenaeum.jobs")

KEEP_RUNS_FOR = timedelta(days=3)
PRUNE_EVERY = 500


def node_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class JobRunner:
    def __init__(self, container: App, node: str | None = None) -> None:
        self._c = container
        self._node = node or node_name()
        self._runs = 0
        self._in_flight: set[asyncio.Task[object]] = set()

    async def run(self, spec: JobSpec) -> tuple[bool, str]:
        """Run ``spec`` now; return (ok, detail). Exceptions are logged and recorded, not raised."""
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        clock = self._c.gateways.clock()
        runs = self._c.gateways.job_runs()
        metrics = self._c.gateways.metrics()
        started = time.perf_counter()
        run_id = None
        try:
            try:
                run_id = await runs.started(spec.name, self._node, clock.now())
            except Exception:  # noqa: BLE001 - a job still runs when its record cannot be written
                log.warning("could not record job start", job=spec.name)
            try:
                result = await spec.run(self._c)
            except Exception as exc:
                log.exception("job failed", job=spec.name)
                ok, detail = False, f"{type(exc).__name__}: {exc}"
            else:
                ok, detail = True, "" if result is None else str(result)
                log.debug("job finished", job=spec.name, detail=detail)
            metrics.job_finished(spec.name, ok=ok, seconds=time.perf_counter() - started)
            if run_id is not None:
                try:
                    await runs.finished(run_id, at=clock.now(), ok=ok, detail=detail)
                    self._runs += 1
                    if self._runs % PRUNE_EVERY == 0:
                        await runs.prune(spec.name, clock.now() - KEEP_RUNS_FOR)
                except Exception:  # noqa: BLE001
                    log.warning("could not record job end", job=spec.name)
            return ok, detail
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def drain(self, timeout: float) -> None:
        """Wait (up to ``timeout`` seconds) for the runs in progress to finish."""
        pending = {task for task in self._in_flight if not task.done() and task is not asyncio.current_task()}
        if pending:
            await asyncio.wait(pending, timeout=timeout)
