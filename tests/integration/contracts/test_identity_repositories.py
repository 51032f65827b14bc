"""The identity repositories, one suite for the in-memory fakes and the SQL adapters
(SQLite and Postgres), so that the use-case tests on fakes mean something."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.uow import SqlUnitOfWork
from application.ports.identity import Standing, UserFilter
from application.ports.uow import IdentityUnitOfWork
from application.results import PageRequest
from domain.identity import DuplicateAccount, RefreshToken, User
from domain.shared import UserId
from tests.integration.support import empty_all_tables
from tests.unit.fakes import FakeUnitOfWork

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
UowFactory = Callable[[], IdentityUnitOfWork]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def uow(request: pytest.FixtureRequest, engines: dict[str, AsyncEngine]) -> AsyncIterator[UowFactory]:
    if request.param == "memory":
        yield FakeUnitOfWork()
        return
    engine = engines[request.param]
    await empty_all_tables(engine)
    yield lambda: SqlUnitOfWork(engine)


def a_user(name: str, **changes: object) -> User:
    user = User(username=name, email=f"{name}@example.org", password_hash="hash", created_at=NOW)
    for field, value in changes.items():
        setattr(user, field, value)
    return user


async def add(uow: UowFactory, *users: User) -> list[User]:
    async with uow() as tx:
        added = [await tx.users.add(user) for user in users]
        await tx.commit()
    return added


# --------------------------------------------------------------------------- users


async def test_an_added_user_gets_an_id_and_reads_back_the_same(uow: UowFactory) -> None:
    (ada,) = await add(uow, a_user("ada", phone="+1 555", country="UK", is_premium=True))
    assert ada.id is not None
    async with uow() as tx:
        again = await tx.users.get(ada.uid)
        for_update = await tx.users.get_for_update(ada.uid)
        missing = await tx.users.get(UserId(ada.uid + 1000))
    assert again == ada
    assert for_update == ada
    assert missing is None


async def test_a_users_standing_is_read_alone(uow: UowFactory) -> None:
    ada, bob = await add(uow, a_user("ada", is_premium=True), a_user("bob"))
    async with uow() as tx:
        bob.is_active, bob.is_admin = False, True
        await tx.users.save(bob)
        await tx.commit()
    async with uow() as tx:
        assert await tx.users.standing(ada.uid) == Standing(is_active=True, is_admin=False, is_premium=True)
        assert await tx.users.standing(bob.uid) == Standing(is_active=False, is_admin=True, is_premium=False)
        assert await tx.users.standing(UserId(bob.uid + 1000)) is None


async def test_login_lookup_by_email_in_any_case_or_by_exact_username(uow: UowFactory) -> None:
    ada, _ = await add(uow, a_user("ada"), a_user("Bob"))
    async with uow() as tx:
        assert (await tx.users.get_by_login("ADA@Example.org")) == ada
        assert (await tx.users.get_by_login("ada")) == ada
        assert await tx.users.get_by_login("bob") is None
        assert await tx.users.get_by_login("nobody@example.org") is None


async def test_an_email_match_wins_over_a_username_that_looks_like_it(uow: UowFactory) -> None:
    ada, _ = await add(uow, a_user("ada"), a_user("ada@example.org", email="impostor@example.org"))
    async with uow() as tx:
        assert (await tx.users.get_by_login("ada@example.org")) == ada


@pytest.mark.parametrize(
    ("second", "field"),
    [(a_user("ada", email="other@example.org"), "username"), (a_user("other", email="ada@example.org"), "email")],
)
async def test_a_taken_email_or_username_is_a_duplicate(uow: UowFactory, second: User, field: str) -> None:
    await add(uow, a_user("ada"))
    async with uow() as tx:
        with pytest.raises(DuplicateAccount) as caught:
            await tx.users.add(second)
        assert caught.value.extra["field"] == field
        # The transaction is still usable after the refusal.
        assert await tx.users.add(a_user("carol")) is not None
        await tx.commit()
    async with uow() as tx:
        page = await tx.users.list(UserFilter(), PageRequest())
    assert sorted(user.username for user in page.items) == ["ada", "carol"]


async def test_saving_a_user_under_a_taken_name_is_a_duplicate(uow: UowFactory) -> None:
    ada, _ = await add(uow, a_user("ada"), a_user("bob"))
    async with uow() as tx:
        user = await tx.users.get_for_update(ada.uid)
        assert user is not None
        user.username = "bob"
        with pytest.raises(DuplicateAccount):
            await tx.users.save(user)


async def test_changes_are_kept_only_when_committed(uow: UowFactory) -> None:
    (ada,) = await add(uow, a_user("ada"))
    async with uow() as tx:
        user = await tx.users.get_for_update(ada.uid)
        assert user is not None
        user.country = "UK"
        await tx.users.save(user)
        await tx.users.add(a_user("ghost"))
    async with uow() as tx:
        assert (await tx.users.get(ada.uid)).country is None  # type: ignore[union-attr]
        assert await tx.users.get_by_login("ghost") is None


async def test_deleting_a_user(uow: UowFactory) -> None:
    (ada,) = await add(uow, a_user("ada"))
    async with uow() as tx:
        assert await tx.users.delete(ada.uid) is True
        assert await tx.users.delete(ada.uid) is False
        await tx.commit()
    async with uow() as tx:
        assert await tx.users.get(ada.uid) is None


async def test_listing_filters_and_pages_in_id_order(uow: UowFactory) -> None:
    await add(
        uow,
        a_user("ada_lovelace", country="UK"),
        a_user("adamant"),
        a_user("charles", is_premium=True, country="UK"),
        a_user("grace", country="US"),
    )

    async def names(page: PageRequest | None = None, **filters: object) -> tuple[list[str], int]:
        async with uow() as tx:
            found = await tx.users.list(UserFilter(**filters), page or PageRequest())  # type: ignore[arg-type]
        return [user.username for user in found.items], found.total

    assert await names(search="ADA") == (["ada_lovelace", "adamant"], 2)
    assert await names(search="a_l") == (["ada_lovelace"], 1)
    assert await names(search="%") == ([], 0)
    assert await names(country="UK") == (["ada_lovelace", "charles"], 2)
    assert await names(is_premium=True) == (["charles"], 1)
    assert await names(is_premium=False, country="UK") == (["ada_lovelace"], 1)
    assert await names(email=" GRACE@example.org ") == (["grace"], 1)
    assert await names(PageRequest(limit=2, offset=1)) == (["adamant", "charles"], 4)
    assert await names(PageRequest(limit=2, offset=10)) == ([], 4)


async def test_session_stats_default_to_zero(uow: UowFactory) -> None:
    (ada,) = await add(uow, a_user("ada"))
    async with uow() as tx:
        stats = await tx.session_stats.get(ada.uid)
    assert (stats.total_seconds, stats.books_read, stats.updated_at) == (0, 0, None)


# --------------------------------------------------------------------------- refresh tokens


def a_token(jti: str, user: User, family: str = "family-1") -> RefreshToken:
    return RefreshToken(jti=jti, family_id=family, user_id=user.uid, issued_at=NOW, expires_at=NOW + timedelta(days=7))


async def test_refresh_tokens_store_their_state_changes(uow: UowFactory) -> None:
    (ada,) = await add(uow, a_user("ada"))
    async with uow() as tx:
        await tx.refresh_tokens.add(a_token("t1", ada))
        await tx.commit()
    async with uow() as tx:
        token = await tx.refresh_tokens.get_for_update("t1")
        assert token is not None
        assert token == a_token("t1", ada)
        token.used_at = NOW + timedelta(minutes=1)
        await tx.refresh_tokens.save(token)
        await tx.commit()
    async with uow() as tx:
        stored = await tx.refresh_tokens.get_for_update("t1")
        assert await tx.refresh_tokens.get_for_update("nope") is None
    assert stored is not None
    assert stored.used_at == NOW + timedelta(minutes=1)


async def test_revoking_a_family_or_a_user(uow: UowFactory) -> None:
    ada, bob = await add(uow, a_user("ada"), a_user("bob"))
    async with uow() as tx:
        for token in [a_token("a1", ada), a_token("a2", ada), a_token("a3", ada, "family-2"), a_token("b1", bob, "f3")]:
            await tx.refresh_tokens.add(token)
        await tx.refresh_tokens.revoke_family("family-1", NOW)
        await tx.commit()

    async def revoked() -> dict[str, datetime | None]:
        async with uow() as tx:
            tokens = [await tx.refresh_tokens.get_for_update(jti) for jti in ["a1", "a2", "a3", "b1"]]
        return {token.jti: token.revoked_at for token in tokens if token}

    assert await revoked() == {"a1": NOW, "a2": NOW, "a3": None, "b1": None}
    later = NOW + timedelta(hours=1)
    async with uow() as tx:
        await tx.refresh_tokens.revoke_user(ada.uid, later)
        await tx.commit()
    assert await revoked() == {"a1": NOW, "a2": NOW, "a3": later, "b1": None}  # first revocation kept


async def test_a_profile_is_the_user_with_their_statistics_or_zeros(uow: UowFactory) -> None:
    ada, bob = await add(uow, a_user("ada"), a_user("bob"))
    async with uow() as tx:
        profile = await tx.profiles.get(ada.uid)
        missing = await tx.profiles.get(UserId(bob.uid + 1000))
    assert profile is not None
    user, stats = profile
    assert user == ada
    assert (stats.total_seconds, stats.books_read, stats.updated_at) == (0, 0, None)
    assert missing is None
