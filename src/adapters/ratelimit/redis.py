"""Counters in Redis, shared by every process: atomic INCR windows and sorted sets."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import cast

from redis.asyncio import Redis


class RedisRateLimiter:
    def __init__(self, client: Redis, prefix: str = "athenaeum:rl:") -> None:
        self._redis = client
        self._prefix = prefix

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        now = time.time()
        window = int(now // window_seconds)
        name = f"{self._prefix}{key}:{window}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_seconds + 1)
            count, _ = await pipe.execute()
        if int(count) > limit:
            return max(1, int((window + 1) * window_seconds - now + 0.999))
        return None


class RedisFailureLog:
    def __init__(self, client: Redis, prefix: str = "athenaeum:fail:") -> None:
        self._redis = client
        self._prefix = prefix

    async def recent(self, key: str, since: datetime) -> Sequence[datetime]:
        scores = await self._redis.zrangebyscore(self._prefix + key, f"({since.timestamp()}", "+inf", withscores=True)
        pairs = cast("list[tuple[bytes, float]]", scores)  # withscores=True: (member, score) pairs
        return [datetime.fromtimestamp(score, UTC) for _member, score in pairs]

    async def record(self, key: str, at: datetime, keep_for_seconds: int) -> None:
        name = self._prefix + key
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(name, {uuid.uuid4().hex: at.timestamp()})
            pipe.zremrangebyscore(name, "-inf", at.timestamp() - keep_for_seconds)
            pipe.expire(name, keep_for_seconds + 1)
            await pipe.execute()

    async def clear(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)
