"""In-process counters: right for one process (the embedded default)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta

_SWEEP_ABOVE = 10_000  # keys; keeps memory bounded under a flood


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
    """Failures per key, each remembered for ``keep_for_seconds`` (as the Redis log does).

    Keys whose failures have all expired are swept whenever the map has doubled since the
    last sweep, so a flood of failed logins for made-up accounts cannot grow it without bound.
    """

    def __init__(self) -> None:
        self._failures: dict[str, list[datetime]] = {}
        self._expires: dict[str, datetime] = {}
        self._sweep_above = _SWEEP_ABOVE

    async def recent(self, key: str, since: datetime) -> Sequence[datetime]:
        return [moment for moment in self._failures.get(key, []) if moment > since]

    async def record(self, key: str, at: datetime, keep_for_seconds: int) -> None:
        keep = timedelta(seconds=keep_for_seconds)
        if len(self._failures) > self._sweep_above:
            self._sweep(at)
        kept = [moment for moment in self._failures.get(key, []) if moment > at - keep]
        kept.append(at)
        self._failures[key] = kept
        self._expires[key] = max(self._expires.get(key, at), at + keep)

    async def clear(self, key: str) -> None:
        self._failures.pop(key, None)
        self._expires.pop(key, None)

    def _sweep(self, now: datetime) -> None:
        for key in [key for key, expires in self._expires.items() if expires <= now]:
            del self._failures[key], self._expires[key]
        self._sweep_above = max(_SWEEP_ABOVE, 2 * len(self._failures))
