"""Identity request and response bodies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from application.use_cases.identity import Profile, TokenPair
from domain.identity import SessionStats, User
from entrypoints.http.schemas.common import NO_NUL

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=150, pattern=NO_NUL, examples=["ada"])]
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=NO_NUL, examples=["ada@example.org"])]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]  # hashed, never stored as text
Phone = Annotated[str, msgspec.Meta(max_length=64, pattern=NO_NUL)]
Country = Annotated[str, msgspec.Meta(max_length=64, pattern=NO_NUL)]
Token = Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]  # a JWT, decoded before any query


class RegisterRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    username: Username
    email: Email
    password: Password = msgspec.field()
    phone: Phone | None = None
    date_of_birth: date | None = None
    country: Country | None = None


class LoginRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Give ``email`` or ``username`` (either field may hold either), and the password."""

    email: Email | None = None
    username: Username | None = None
    password: Password


class RefreshRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    refresh: Token


class TokenResponse(msgspec.Struct, kw_only=True):
    access: str
    refresh: str
    token_type: str = "Bearer"  # noqa: S105 - a token type, not a secret

    @classmethod
    def of(cls, pair: TokenPair) -> TokenResponse:
        return cls(access=pair.access, refresh=pair.refresh, token_type=pair.token_type)


class SessionStatsResponse(msgspec.Struct, kw_only=True):
    total_seconds: int
    last_7_days_seconds: int
    last_30_days_seconds: int
    books_read: int
    updated_at: datetime | None

    @classmethod
    def of(cls, stats: SessionStats) -> SessionStatsResponse:
        return cls(
            total_seconds=stats.total_seconds,
            last_7_days_seconds=stats.last_7_days_seconds,
            last_30_days_seconds=stats.last_30_days_seconds,
            books_read=stats.books_read,
            updated_at=stats.updated_at,
        )


class UserResponse(msgspec.Struct, kw_only=True):
    """A user as registration returns it."""

    id: int
    username: str
    email: str
    phone: str | None
    date_of_birth: date | None
    country: str | None
    avatar_url: str | None
    is_premium: bool
    is_admin: bool

    @classmethod
    def of(cls, user: User) -> UserResponse:
        return cls(
            id=user.uid,
            username=user.username,
            email=user.email,
            phone=user.phone,
            date_of_birth=user.date_of_birth,
            country=user.country,
            avatar_url=user.avatar_url,
            is_premium=user.is_premium,
            is_admin=user.is_admin,
        )


class ProfileResponse(msgspec.Struct, kw_only=True):
    """Your own profile, with your reading statistics."""

    id: int
    username: str
    email: str
    phone: str | None
    date_of_birth: date | None
    country: str | None
    avatar_url: str | None
    is_premium: bool
    is_admin: bool
    session_stats: SessionStatsResponse

    @classmethod
    def of(cls, profile: Profile) -> ProfileResponse:
        user = profile.user
        return cls(
            id=user.uid,
            username=user.username,
            email=user.email,
            phone=user.phone,
            date_of_birth=user.date_of_birth,
            country=user.country,
            avatar_url=user.avatar_url,
            is_premium=user.is_premium,
            is_admin=user.is_admin,
            session_stats=SessionStatsResponse.of(profile.stats),
        )


class AdminUserResponse(msgspec.Struct, kw_only=True):
    """A user as an admin sees it."""

    id: int
    username: str
    email: str
    phone: str | None
    date_of_birth: date | None
    country: str | None
    avatar_url: str | None
    is_premium: bool
    is_admin: bool
    is_active: bool
    created_at: datetime
    session_stats: SessionStatsResponse

    @classmethod
    def of(cls, profile: Profile) -> AdminUserResponse:
        user = profile.user
        return cls(
            id=user.uid,
            username=user.username,
            email=user.email,
            phone=user.phone,
            date_of_birth=user.date_of_birth,
            country=user.country,
            avatar_url=user.avatar_url,
            is_premium=user.is_premium,
            is_admin=user.is_admin,
            is_active=user.is_active,
            created_at=user.created_at,
            session_stats=SessionStatsResponse.of(profile.stats),
        )


class PublicUserResponse(msgspec.Struct, kw_only=True):
    """A public profile. ``email`` and ``is_active`` are present only for admins."""

    id: int
    username: str
    country: str | None
    is_premium: bool
    avatar_url: str | None
    email: str | msgspec.UnsetType = msgspec.UNSET
    is_active: bool | msgspec.UnsetType = msgspec.UNSET

    @classmethod
    def of(cls, user: User, *, for_admin: bool) -> PublicUserResponse:
        return cls(
            id=user.uid,
            username=user.username,
            country=user.country,
            is_premium=user.is_premium,
            avatar_url=user.avatar_url,
            email=user.email if for_admin else msgspec.UNSET,
            is_active=user.is_active if for_admin else msgspec.UNSET,
        )


class ProfileUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """PATCH: send only what changes; ``null`` clears an optional field."""

    username: Username | msgspec.UnsetType = msgspec.UNSET
    phone: Phone | msgspec.UnsetType | None = msgspec.UNSET
    country: Country | msgspec.UnsetType | None = msgspec.UNSET
    date_of_birth: date | msgspec.UnsetType | None = msgspec.UNSET
    email: str | msgspec.UnsetType | None = msgspec.field(default=msgspec.UNSET)


class AdminUserPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    username: Username | msgspec.UnsetType = msgspec.UNSET
    email: Email | msgspec.UnsetType = msgspec.UNSET
    phone: Phone | msgspec.UnsetType | None = msgspec.UNSET
    country: Country | msgspec.UnsetType | None = msgspec.UNSET
    date_of_birth: date | msgspec.UnsetType | None = msgspec.UNSET
    is_admin: bool | msgspec.UnsetType = msgspec.UNSET
    is_premium: bool | msgspec.UnsetType = msgspec.UNSET
    is_active: bool | msgspec.UnsetType = msgspec.UNSET
    password: Password | msgspec.UnsetType = msgspec.UNSET


class AdminUserReplace(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """PUT: the whole user; optional fields left out become empty."""

    username: Username
    email: Email
    is_admin: bool
    is_premium: bool
    is_active: bool
    phone: Phone | None = None
    country: Country | None = None
    date_of_birth: date | None = None
    password: Password | None = None
