"""In-process counters: right for one process (the embedded default)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime


class MemoryRateLimiter:
    """Fixed windows per key; the map is swept as windows pass."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        now = time.time()
        window = int(now // window_seconds)
        if len(self._counts) > 10_000:  # noqa: PLR2004 - keep memory bounded under a flood
            self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
        slot = (key, window)
        self._counts[slot] = self._counts.get(slot, 0) + 1
        if self._counts[slot] > limit:
            return max(1, int((window + 1) * window_seconds - now + 0.999))
        return None


class MemoryFailureLog:
    def __init__(self) -> None:
        self._failures: dict[str, list[datetime]] = defaultdict(list)

    async def recent(self, key: str, since: datetime) -> Sequence[datetime]:
        kept = [moment for moment in self._failures.get(key, []) if moment > since]
        if kept:
            self._failures[key] = kept
        else:
            self._failures.pop(key, None)
        return kept

    async def record(self, key: str, at: datetime, keep_for_seconds: int) -> None:  # noqa: ARG002
        self._failures[key].append(at)

    async def clear(self, key: str) -> None:
        self._failures.pop(key, None)
