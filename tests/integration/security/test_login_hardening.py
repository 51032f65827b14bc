"""Login under attack: no account enumeration (same answer, same hashing work), a per-account
back-off that an attacker can neither dodge nor stretch into a permanent lockout, and
argon2id hashes upgraded when the parameters are raised."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import argon2
import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.security import passwords
from adapters.sql.tables import users
from entrypoints.container import App, build_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings, load_settings
from tests.clock import MovableClock
from tests.figures import record
from tests.integration.conftest import make_settings
from tests.integration.support import PASSWORD, Api, assert_problem

PARAMETERS = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$")


def parameters(password_hash: str) -> tuple[int, int, int]:
    match = PARAMETERS.match(password_hash)
    assert match, password_hash
    m, t, p = (int(group) for group in match.groups())
    return m, t, p


@dataclass
class Verification:
    parameters: tuple[int, int, int]
    matched: bool


class CountingArgon2(argon2.PasswordHasher):
    """argon2-cffi's hasher, recording every verification it really computes."""

    seen: list[Verification] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        text = hash.decode() if isinstance(hash, bytes) else hash
        try:
            result = super().verify(hash, password)
        except argon2.exceptions.VerificationError:
            CountingArgon2.seen.append(Verification(parameters(text), matched=False))
            raise
        CountingArgon2.seen.append(Verification(parameters(text), matched=True))
        return result


@pytest.fixture
def argon_calls(monkeypatch: pytest.MonkeyPatch) -> list[Verification]:
    """Every argon2 verification the app computes (the app's hasher is built after this)."""
    CountingArgon2.seen = []
    monkeypatch.setattr(passwords, "PasswordHasher", CountingArgon2)
    return CountingArgon2.seen


@pytest.fixture
def clock(container: App) -> MovableClock:
    moving = MovableClock()
    container.gateways.clock.override(providers.Object(moving))
    return moving


async def login(api: Api, password: str = PASSWORD, **identifier: str) -> Any:
    response = await api.client.post("/api/auth/login", json={**identifier, "password": password})
    record("login attacks tried")
    return response


async def deactivate(engine: AsyncEngine, user_id: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(users.update().where(users.c.id == user_id).values(is_active=False))


async def test_unknown_user_and_wrong_password_answer_alike_after_the_same_hashing(
    argon_calls: list[Verification], api: Api, engine: AsyncEngine
) -> None:
    ada = await api.user("ada")
    bob = await api.user("bob")
    await deactivate(engine, bob.id)
    async with engine.connect() as conn:
        stored = await conn.scalar(select(users.c.password_hash).where(users.c.id == ada.id))
    real_cost = parameters(str(stored))

    attempts = {
        "unknown email": {"email": "nobody@example.org"},
        "unknown username": {"username": "nobody"},
        "wrong password by email": {"email": "ada@example.org", "password": "not the password"},
        "wrong password by username": {"username": "ada", "password": "not the password"},
        "deactivated account": {"username": "bob"},
    }
    answers = {}
    for name, fields in attempts.items():
        argon_calls.clear()
        response = await login(api, **{"password": PASSWORD} | fields)
        assert_problem(response, 401)
        answers[name] = (response.status_code, response.content, response.headers.get("www-authenticate"))
        # One real argon2 computation each, at the cost of a real account's hash.
        assert [call.parameters for call in argon_calls] == [real_cost], name
    assert len(set(answers.values())) == 1, answers


async def test_a_locked_unknown_account_answers_like_a_locked_real_one(
    api: Api, clock: MovableClock, argon_calls: list[Verification]
) -> None:
    await api.user("ada")
    for identifier in ({"username": "ada"}, {"username": "ghost"}):
        for _ in range(5):
            assert_problem(await login(api, "not the password", **identifier), 401)
    argon_calls.clear()
    real = await login(api, username="ada")
    ghost = await login(api, username="ghost")
    assert_problem(real, 429)
    assert_problem(ghost, 429)
    assert real.content == ghost.content
    assert real.headers["retry-after"] == ghost.headers["retry-after"]
    assert argon_calls == [], "no hashing while locked, for either"


async def test_the_back_off_is_per_account_whichever_name_is_typed(api: Api, clock: MovableClock) -> None:
    """Email and username name one account: they share one budget of failures."""
    ada = await api.user("ada")
    for attempt in range(5):
        fields = {"email": ada.email} if attempt % 2 else {"username": "ada"}
        assert_problem(await login(api, "not the password", **fields), 401)
    assert_problem(await login(api, email=ada.email.upper()), 429)
    assert_problem(await login(api, username="ada"), 429)


async def test_hammering_a_locked_account_does_not_extend_the_lock(api: Api, clock: MovableClock) -> None:
    await api.user("ada")
    for _ in range(5):
        assert_problem(await login(api, "not the password", username="ada"), 401)
        clock.advance(seconds=10)
    locked = await login(api, username="ada")  # the right password, still 429
    assert_problem(locked, 429)
    retry_after = int(locked.headers["retry-after"])
    assert 0 < retry_after <= 15 * 60

    # The attacker keeps trying all through the lock, with wrong and right passwords.
    waited = 0
    while waited < retry_after - 30:
        response = await login(api, "guess", username="ada")
        assert_problem(response, 429)
        assert int(response.headers["retry-after"]) == retry_after - waited
        clock.advance(seconds=30)
        waited += 30
    clock.advance(seconds=retry_after - waited)

    # Once the first failure has left the window the owner gets in: no permanent lockout.
    assert (await login(api, username="ada")).status_code == 200
    record("accounts locked and released", 1)


async def test_a_hash_made_under_old_parameters_is_upgraded_at_login(
    api: Api, engine: AsyncEngine, database_urls: dict[str, str], backend: str, tmp_path: Path
) -> None:
    ada = await api.user("ada")  # hashed with the suite's cheap parameters (1 MiB, t=1)

    async def stored() -> str:
        async with engine.connect() as conn:
            return str(await conn.scalar(select(users.c.password_hash).where(users.c.id == ada.id)))

    old = await stored()
    assert parameters(old) == (1024, 1, 1)
    raised = make_settings(database_urls[backend], tmp_path, password_memory_kib=2048, password_time_cost=2)
    async with upgraded_app(raised, engine) as client:
        response = await client.post("/api/auth/login", json={"username": "ada", "password": PASSWORD})
        assert response.status_code == 200, response.text
        new = await stored()
        assert parameters(new) == (2048, 2, 1)
        assert new != old
        # and it still verifies (no lockout by the upgrade), without a second upgrade
        again = await client.post("/api/auth/login", json={"username": "ada", "password": PASSWORD})
        assert again.status_code == 200
        assert await stored() == new
    # A wrong password never upgrades anything.
    async with upgraded_app(
        make_settings(database_urls[backend], tmp_path, password_memory_kib=4096, password_time_cost=2), engine
    ) as client:
        wrong = await client.post("/api/auth/login", json={"username": "ada", "password": "wrong password"})
        assert wrong.status_code == 401
        assert await stored() == new


@asynccontextmanager
async def upgraded_app(settings: Settings, engine: AsyncEngine) -> AsyncIterator[AsyncTestClient[Any]]:
    """Another app on the same database, with other hashing parameters."""
    container = build_container(settings)
    container.gateways.engine.override(providers.Object(engine))
    async with AsyncTestClient(create_app(container), base_url="http://testserver.local") as client:
        yield client


def test_the_default_argon2id_parameters_are_at_least_owasps_minimum(tmp_path: Path) -> None:
    defaults = load_settings({}, env_file=None, var_dir=str(tmp_path))
    assert defaults.password_memory_kib >= 19_456
    assert defaults.password_time_cost >= 2
    assert defaults.password_parallelism >= 1
