"""Ports for running periodic jobs: who leads, and a record of runs."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class LeaderLock(Protocol):
    """At most one holder across every process that shares the database."""

    async def try_acquire(self) -> bool: ...

    async def still_held(self) -> bool: ...

    async def release(self) -> None: ...


class JobRunLog(Protocol):
    async def started(self, job: str, node: str, at: datetime) -> int: ...

    async def finished(self, run_id: int, *, at: datetime, ok: bool, detail: str | None) -> None: ...

    async def prune(self, job: str, before: datetime) -> None: ...
