"""Ports of the identity area: repositories, password hashing, tokens, throttling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.results import Page, PageRequest
from domain.identity import RefreshToken, SessionStats, User
from domain.shared import UserId


@dataclass(frozen=True, slots=True)
class UserFilter:
    search: str | None = None
    country: str | None = None
    is_premium: bool | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Standing:
    """What authenticating a request needs of an account: whether it may act, and its roles."""

    is_active: bool
    is_admin: bool
    is_premium: bool


class UserRepository(Protocol):
    async def get(self, user_id: UserId) -> User | None: ...

    async def standing(self, user_id: UserId) -> Standing | None:
        """The account's standing alone (every authenticated request reads it)."""
        ...

    async def get_for_update(self, user_id: UserId) -> User | None: ...

    async def get_by_login(self, identifier: str) -> User | None:
        """The user whose email (case-insensitive) or username equals ``identifier``."""
        ...

    async def add(self, user: User) -> User:
        """Insert and return the user with its id; raises ``DuplicateAccount``."""
        ...

    async def save(self, user: User) -> None:
        """Write back a changed user; raises ``DuplicateAccount`` on a taken username/email."""
        ...

    async def delete(self, user_id: UserId) -> bool: ...

    async def list(self, filters: UserFilter, page: PageRequest) -> Page[User]: ...


class RefreshTokenRepository(Protocol):
    async def add(self, token: RefreshToken) -> None: ...

    async def get_for_update(self, jti: str) -> RefreshToken | None: ...

    async def save(self, token: RefreshToken) -> None: ...

    async def revoke_family(self, family_id: str, now: datetime) -> None: ...

    async def revoke_user(self, user_id: UserId, now: datetime) -> None: ...


class SessionStatsRepository(Protocol):
    async def get(self, user_id: UserId) -> SessionStats: ...


class ProfileReader(Protocol):
    async def get(self, user_id: UserId) -> tuple[User, SessionStats] | None:
        """A user with their reading statistics, in one read."""
        ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Check ``password``; with ``password_hash=None`` do the same work and return False,
        so that an unknown account costs as much time as a wrong password."""
        ...

    def needs_rehash(self, password_hash: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: UserId
    jti: str


@dataclass(frozen=True, slots=True)
class RefreshClaims:
    user_id: UserId
    jti: str
    family_id: str


class TokenCodec(Protocol):
    """Signs and verifies JWTs. Decoding raises ``TokenInvalid`` for anything wrong."""

    def new_id(self) -> str: ...

    def encode_access(self, user_id: UserId, now: datetime) -> str: ...

    def encode_refresh(self, token: RefreshToken) -> str: ...

    def decode_access(self, token: str) -> AccessClaims: ...

    def decode_refresh(self, token: str) -> RefreshClaims: ...


class FailureLog(Protocol):
    """Recent failed logins per account key (shared across processes when Redis is set)."""

    async def recent(self, key: str, since: datetime) -> Sequence[datetime]: ...

    async def record(self, key: str, at: datetime, keep_for_seconds: int) -> None: ...

    async def clear(self, key: str) -> None: ...


class RateLimiter(Protocol):
    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        """Count one request for ``key``; return the seconds to wait when over ``limit``."""
        ...
