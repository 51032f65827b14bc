"""argon2id password hashing: OWASP's minimum cost in production, upgrades of weaker hashes,
and the same work for an unknown account as for a wrong password."""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from pathlib import Path

import pytest

from adapters.security.passwords import Argon2PasswordHasher
from entrypoints.container import build_container
from entrypoints.settings import load_settings

HASH_PARAMETERS = re.compile(r"^\$argon2id\$v=19\$m=(?P<m>\d+),t=(?P<t>\d+),p=(?P<p>\d+)\$[^$]+\$[^$]+$")
PASSWORD = "correct horse battery staple"


def parameters(password_hash: str) -> tuple[int, int, int]:
    match = HASH_PARAMETERS.match(password_hash)
    assert match, password_hash
    return int(match["m"]), int(match["t"]), int(match["p"])


@pytest.fixture(scope="module")
def production() -> Argon2PasswordHasher:
    return Argon2PasswordHasher()


@pytest.fixture(scope="module")
def cheap() -> Argon2PasswordHasher:
    return Argon2PasswordHasher(memory_kib=1024, time_cost=1)


async def test_the_default_parameters_are_at_least_owasps_minimum(production: Argon2PasswordHasher) -> None:
    memory_kib, time_cost, parallelism = parameters(await production.hash(PASSWORD))
    assert memory_kib >= 19_456
    assert time_cost >= 2
    assert parallelism >= 1


async def test_the_configured_production_hasher_uses_at_least_owasps_minimum(tmp_path: Path) -> None:
    settings = load_settings(
        {}, env_file=None, database_url="sqlite+aiosqlite:///:memory:", var_dir=str(tmp_path / "var")
    )
    hasher = build_container(settings).gateways.hasher()
    memory_kib, time_cost, parallelism = parameters(await hasher.hash(PASSWORD))
    assert memory_kib >= 19_456
    assert time_cost >= 2
    assert parallelism >= 1


async def test_a_password_verifies_against_its_own_hash_only(cheap: Argon2PasswordHasher) -> None:
    stored = await cheap.hash(PASSWORD)
    assert stored != await cheap.hash(PASSWORD)  # salted
    assert PASSWORD not in stored
    assert await cheap.verify(stored, PASSWORD)
    assert not await cheap.verify(stored, PASSWORD.upper())
    assert not await cheap.verify(stored, "")


async def test_without_a_hash_verification_fails_even_for_the_dummy_password(cheap: Argon2PasswordHasher) -> None:
    assert not await cheap.verify(None, PASSWORD)
    assert not await cheap.verify(None, "athenaeum-dummy-password")
    assert not await cheap.verify(None, "")


@pytest.mark.parametrize("broken", ["", "not a hash", "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$", "$2b$12$abcdefghijk"])
async def test_a_broken_stored_hash_never_verifies_and_needs_a_rehash(cheap: Argon2PasswordHasher, broken: str) -> None:
    assert not await cheap.verify(broken, PASSWORD)
    assert cheap.needs_rehash(broken)


async def test_a_hash_with_weaker_parameters_needs_a_rehash(
    production: Argon2PasswordHasher, cheap: Argon2PasswordHasher
) -> None:
    weak = await cheap.hash(PASSWORD)
    strong = await production.hash(PASSWORD)
    assert production.needs_rehash(weak)
    assert not production.needs_rehash(strong)
    assert await production.verify(weak, PASSWORD)  # still verifies, so the login can upgrade it


async def test_at_most_max_concurrent_hashes_run_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A login storm queues for the hasher's threads: memory stays within permits * memory cost."""
    hasher = Argon2PasswordHasher(memory_kib=1024, time_cost=1, max_concurrent=2)
    running, peak = 0, 0
    lock = threading.Lock()
    real_verify = hasher._verify

    def counting_verify(password_hash: str | None, password: str) -> bool:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            time.sleep(0.02)
            return real_verify(password_hash, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(hasher, "_verify", counting_verify)
    stored = await hasher.hash("correct horse battery")
    results = await asyncio.gather(*(hasher.verify(stored, "correct horse battery") for _ in range(8)))
    assert all(results)
    assert peak == 2


def test_the_default_bound_is_the_cpu_count() -> None:
    assert Argon2PasswordHasher(memory_kib=1024, time_cost=1).max_concurrent == (os.cpu_count() or 1)
