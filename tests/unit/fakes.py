"""In-memory fakes of the ports, honest enough to stand in for the real adapters in use-case tests.

Repositories hand out copies and store copies, as a database does, so a use case that changes
an entity without saving it changes nothing. ``FakeUnitOfWork`` keeps every change made since
``__aenter__`` (or the last ``commit()``) only if it is committed; leaving the block rolls the
rest back.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Self

from application.ports.identity import Standing, UserFilter
from application.results import Page, PageRequest
from domain.identity import DuplicateAccount, RefreshToken, SessionStats, User
from domain.shared import UserId

# --------------------------------------------------------------------------- repositories
from tests.clock import MovableClock


class InMemoryUserRepository:
    def __init__(self) -> None:
        self.rows: dict[UserId, User] = {}
        self._last_id = 0

    def _ensure_unique(self, user: User) -> None:
        # The same unique constraints as the ``users`` table: email and username, exact match.
        for other in self.rows.values():
            if other.id == user.id:
                continue
            if other.email == user.email:
                raise DuplicateAccount("An account with this email already exists.", field="email")
            if other.username == user.username:
                raise DuplicateAccount("An account with this username already exists.", field="username")

    async def get(self, user_id: UserId) -> User | None:
        found = self.rows.get(user_id)
        return replace(found) if found else None

    async def standing(self, user_id: UserId) -> Standing | None:
        found = self.rows.get(user_id)
        if found is None:
            return None
        return Standing(is_active=found.is_active, is_admin=found.is_admin, is_premium=found.is_premium)

    async def get_for_update(self, user_id: UserId) -> User | None:
        return await self.get(user_id)

    async def get_by_login(self, identifier: str) -> User | None:
        by_email = [u for u in self.rows.values() if u.email == identifier.lower()]
        by_username = [u for u in self.rows.values() if u.username == identifier]
        found = (by_email or by_username or [None])[0]
        return replace(found) if found else None

    async def add(self, user: User) -> User:
        self._ensure_unique(user)
        self._last_id += 1
        user.id = UserId(self._last_id)
        self.rows[user.id] = replace(user)
        return user

    async def save(self, user: User) -> None:
        if user.uid not in self.rows:
            return
        self._ensure_unique(user)
        self.rows[user.uid] = replace(user)

    async def delete(self, user_id: UserId) -> bool:
        return self.rows.pop(user_id, None) is not None

    async def list(self, filters: UserFilter, page: PageRequest) -> Page[User]:
        matching = [
            user
            for _, user in sorted(self.rows.items())
            if (not filters.search or filters.search.lower() in user.username.lower())
            and (not filters.country or user.country == filters.country)
            and (filters.is_premium is None or user.is_premium == filters.is_premium)
            and (not filters.email or user.email == filters.email.strip().lower())
        ]
        window = matching[page.offset : page.offset + page.limit]
        return Page(items=[replace(u) for u in window], total=len(matching), limit=page.limit, offset=page.offset)


class InMemoryRefreshTokenRepository:
    def __init__(self) -> None:
        self.rows: dict[str, RefreshToken] = {}

    async def add(self, token: RefreshToken) -> None:
        if token.jti in self.rows:
            msg = f"duplicate refresh token id {token.jti}"
            raise AssertionError(msg)
        self.rows[token.jti] = replace(token)

    async def get_for_update(self, jti: str) -> RefreshToken | None:
        found = self.rows.get(jti)
        return replace(found) if found else None

    async def save(self, token: RefreshToken) -> None:
        # Like the SQL repository: only the state changes are written back.
        stored = self.rows.get(token.jti)
        if stored is not None:
            stored.used_at, stored.revoked_at = token.used_at, token.revoked_at

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        for token in self.rows.values():
            if token.family_id == family_id and token.revoked_at is None:
                token.revoked_at = now

    async def revoke_user(self, user_id: UserId, now: datetime) -> None:
        for token in self.rows.values():
            if token.user_id == user_id and token.revoked_at is None:
                token.revoked_at = now

    def family(self, family_id: str) -> list[RefreshToken]:
        return [t for t in self.rows.values() if t.family_id == family_id]


class InMemorySessionStatsRepository:
    def __init__(self) -> None:
        self.rows: dict[UserId, SessionStats] = {}

    async def get(self, user_id: UserId) -> SessionStats:
        return self.rows.get(user_id, SessionStats())


class InMemoryProfileReader:
    def __init__(self, users: InMemoryUserRepository, stats: InMemorySessionStatsRepository) -> None:
        self._users, self._stats = users, stats

    async def get(self, user_id: UserId) -> tuple[User, SessionStats] | None:
        user = await self._users.get(user_id)
        return None if user is None else (user, await self._stats.get(user_id))


# --------------------------------------------------------------------------- unit of work


class FakeUnitOfWork:
    """The identity unit of work over in-memory repositories.

    It is also its own factory (use cases take ``Callable[[], IdentityUnitOfWork]``): every
    ``uow()`` returns the same store, so use cases built on one fake share the data.
    """

    def __init__(self) -> None:
        self.users = InMemoryUserRepository()
        self.refresh_tokens = InMemoryRefreshTokenRepository()
        self.session_stats = InMemorySessionStatsRepository()
        self.commits = 0
        self._snapshot: dict[str, object] | None = None

    def __call__(self) -> Self:
        return self

    @property
    def profiles(self) -> InMemoryProfileReader:
        return InMemoryProfileReader(self.users, self.session_stats)

    @property
    def _repositories(self) -> dict[str, object]:
        return {"users": self.users, "refresh_tokens": self.refresh_tokens, "session_stats": self.session_stats}

    async def __aenter__(self) -> Self:
        if self._snapshot is not None:
            msg = "FakeUnitOfWork is already open: use cases must not nest units of work"
            raise AssertionError(msg)
        self._snapshot = copy.deepcopy(self._repositories)
        return self

    async def __aexit__(self, *exc: object) -> None:
        snapshot, self._snapshot = self._snapshot, None
        assert snapshot is not None
        for name, repository in snapshot.items():
            setattr(self, name, repository)  # roll back whatever was not committed

    async def commit(self) -> None:
        assert self._snapshot is not None, "commit() outside `async with uow:`"
        self.commits += 1
        self._snapshot = copy.deepcopy(self._repositories)


# --------------------------------------------------------------------------- security


class FakePasswordHasher:
    """Cheap and deterministic. ``version`` plays the part of argon2's cost parameters:
    hashes made under another version need a rehash. Counts the work it does."""

    def __init__(self, version: int = 1) -> None:
        self.version = version
        self.hashes = 0
        self.verifications = 0

    async def hash(self, password: str) -> str:
        self.hashes += 1
        return f"fake$v{self.version}${password[::-1]}"

    async def verify(self, password_hash: str | None, password: str) -> bool:
        self.verifications += 1
        if password_hash is None:
            return False
        _, _, reversed_password = password_hash.partition("$")[2].partition("$")
        return password_hash.startswith("fake$") and reversed_password == password[::-1]

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"fake$v{self.version}$")


# --------------------------------------------------------------------------- clocks


@dataclass(frozen=True, slots=True)
class FixedClock:
    moment: datetime = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def today(self) -> date:
        return self.moment.date()


class MutableClock(MovableClock):
    origin = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
