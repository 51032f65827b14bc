"""The counters behind rate limits and login back-off: one contract, in memory and in Redis.

The in-process implementations serve a single process; Redis shares the same counts across
processes. Both must answer alike, so each test runs on both (Redis ones are marked ``redis``
and skip when no server is reachable, except on CI).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from adapters.ratelimit.memory import MemoryFailureLog, MemoryRateLimiter
from adapters.ratelimit.redis import RedisFailureLog, RedisRateLimiter
from application.ports.identity import FailureLog, RateLimiter

IMPLEMENTATIONS = ["memory", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture
async def redis_prefix(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Redis, str]]:
    """A Redis client and a key prefix of this test's own; its keys are deleted afterwards."""
    client = Redis.from_url(request.getfixturevalue("redis_url"))
    prefix = f"athenaeum-test:{uuid.uuid4().hex}:"
    yield client, prefix
    keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture(params=IMPLEMENTATIONS)
def limiter(request: pytest.FixtureRequest) -> RateLimiter:
    if request.param == "memory":
        return MemoryRateLimiter()
    client, prefix = request.getfixturevalue("redis_prefix")
    return RedisRateLimiter(client, prefix=prefix)


@pytest.fixture(params=IMPLEMENTATIONS)
def failure_log(request: pytest.FixtureRequest) -> FailureLog:
    if request.param == "memory":
        return MemoryFailureLog()
    client, prefix = request.getfixturevalue("redis_prefix")
    return RedisFailureLog(client, prefix=prefix)


# --------------------------------------------------------------------------- rate limiter


async def in_one_window(window_seconds: int, attempt: Callable[[str], Awaitable[None]]) -> None:
    """Run ``attempt`` on a fresh key; again if a fixed window ended in the middle of it."""
    for _ in range(2):
        window = int(time.time() // window_seconds)
        await attempt(uuid.uuid4().hex)
        if int(time.time() // window_seconds) == window:
            return
    pytest.fail("two window boundaries crossed")


async def test_the_first_hits_up_to_the_limit_pass_and_the_next_wait(limiter: RateLimiter) -> None:
    async def attempt(key: str) -> None:
        assert [await limiter.hit(key, limit=3, window_seconds=60) for _ in range(3)] == [None, None, None]
        for _ in range(2):
            wait = await limiter.hit(key, limit=3, window_seconds=60)
            assert wait is not None
            assert 1 <= wait <= 60

    await in_one_window(60, attempt)


async def test_keys_are_counted_apart(limiter: RateLimiter) -> None:
    async def attempt(key: str) -> None:
        assert await limiter.hit(key + "a", limit=1, window_seconds=3600) is None
        assert await limiter.hit(key + "a", limit=1, window_seconds=3600) is not None
        assert await limiter.hit(key + "b", limit=1, window_seconds=3600) is None

    await in_one_window(3600, attempt)


async def test_the_wait_ends_with_the_window(limiter: RateLimiter) -> None:
    async def attempt(key: str) -> None:
        assert await limiter.hit(key, limit=1, window_seconds=3600) is None
        wait = await limiter.hit(key, limit=1, window_seconds=3600)
        assert wait is not None
        assert abs(wait - (3600 - time.time() % 3600)) <= 2

    await in_one_window(3600, attempt)


async def test_a_new_window_starts_a_new_count(limiter: RateLimiter) -> None:
    key = uuid.uuid4().hex
    await asyncio.sleep(1 - time.time() % 1 + 0.01)  # start at the beginning of a 1-second window
    assert await limiter.hit(key, limit=1, window_seconds=1) is None
    assert await limiter.hit(key, limit=1, window_seconds=1) == 1
    await asyncio.sleep(1 - time.time() % 1 + 0.01)
    assert await limiter.hit(key, limit=1, window_seconds=1) is None


# --------------------------------------------------------------------------- failure log

NOW = datetime.now(UTC).replace(microsecond=123_000)  # whole milliseconds survive Redis' float scores
KEEP = 900


async def test_recent_failures_are_those_after_since(failure_log: FailureLog) -> None:
    moments = [NOW - timedelta(seconds=s) for s in (600, 300, 60, 0)]
    for moment in moments:
        await failure_log.record("login:ada", moment, KEEP)
    assert sorted(await failure_log.recent("login:ada", NOW - timedelta(seconds=KEEP))) == moments
    assert sorted(await failure_log.recent("login:ada", NOW - timedelta(seconds=300))) == moments[2:]  # exclusive
    assert await failure_log.recent("login:ada", NOW) == []


async def test_the_same_moment_twice_counts_twice(failure_log: FailureLog) -> None:
    await failure_log.record("login:ada", NOW, KEEP)
    await failure_log.record("login:ada", NOW, KEEP)
    assert await failure_log.recent("login:ada", NOW - timedelta(seconds=1)) == [NOW, NOW]


async def test_failures_are_logged_per_key_and_cleared_per_key(failure_log: FailureLog) -> None:
    await failure_log.record("login:ada", NOW, KEEP)
    await failure_log.record("login:bob", NOW, KEEP)
    since = NOW - timedelta(seconds=KEEP)
    assert await failure_log.recent("login:carol", since) == []
    await failure_log.clear("login:ada")
    assert await failure_log.recent("login:ada", since) == []
    assert await failure_log.recent("login:bob", since) == [NOW]
    await failure_log.clear("login:nobody")  # clearing an unknown key is harmless


async def test_failures_older_than_keep_for_seconds_are_forgotten(failure_log: FailureLog) -> None:
    old = NOW - timedelta(seconds=KEEP + 1)
    await failure_log.record("login:ada", old, KEEP)
    await failure_log.record("login:ada", NOW, KEEP)
    assert await failure_log.recent("login:ada", old - timedelta(days=1)) == [NOW]


async def test_the_memory_log_stays_bounded_under_a_flood_of_made_up_accounts() -> None:
    log = MemoryFailureLog()
    for number in range(30_000):  # one failed login a second, each for a new account
        await log.record(f"login:ghost{number}", NOW + timedelta(seconds=number), 60)
    # White-box on purpose: the size of the map is the point. Only a minute's worth is live.
    assert len(log._failures) <= 20_000
    assert await log.recent("login:ghost29999", NOW) == [NOW + timedelta(seconds=29_999)]
