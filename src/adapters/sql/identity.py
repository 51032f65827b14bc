"""SQL repositories of the identity area."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.common import constraint_of, paged
from adapters.sql.driver import HotStatement
from adapters.sql.tables import refresh_tokens, session_stats, users
from application.ports.identity import Standing, UserFilter
from application.results import Page, PageRequest
from domain.errors import Conflict
from domain.identity import DuplicateAccount, RefreshToken, SessionStats, User
from domain.shared import UserId

_USER_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.email,
    users.c.password_hash,
    users.c.phone,
    users.c.date_of_birth,
    users.c.country,
    users.c.avatar_url,
    users.c.is_premium,
    users.c.is_admin,
    users.c.is_active,
    users.c.created_at,
)


# Built once (see adapters/sql/catalog.py): the per-request lookups of every authenticated call.
_BY_ID_QUERY = select(*_USER_COLUMNS).where(users.c.id == bindparam("user_id"))
_BY_ID = HotStatement(_BY_ID_QUERY)
_BY_ID_FOR_UPDATE = _BY_ID_QUERY.with_for_update()
_STANDING = HotStatement(
    select(users.c.is_active, users.c.is_admin, users.c.is_premium).where(users.c.id == bindparam("user_id"))
)
_STATS = select(session_stats).where(session_stats.c.user_id == bindparam("user_id"))
_PROFILE = HotStatement(
    select(
        *_USER_COLUMNS,
        session_stats.c.total_seconds,
        session_stats.c.last_7_days_seconds,
        session_stats.c.last_30_days_seconds,
        session_stats.c.books_read,
        session_stats.c.updated_at,
    )
    .select_from(users.outerjoin(session_stats, session_stats.c.user_id == users.c.id))
    .where(users.c.id == bindparam("user_id"))
)


def user_from_row(row: Any) -> User:
    return User(
        id=UserId(row.id),
        username=row.username,
        email=row.email,
        password_hash=row.password_hash,
        phone=row.phone,
        date_of_birth=row.date_of_birth,
        country=row.country,
        avatar_url=row.avatar_url,
        is_premium=row.is_premium,
        is_admin=row.is_admin,
        is_active=row.is_active,
        created_at=row.created_at,
    )


def _user_values(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "email": user.email,
        "password_hash": user.password_hash,
        "phone": user.phone,
        "date_of_birth": user.date_of_birth,
        "country": user.country,
        "avatar_url": user.avatar_url,
        "is_premium": user.is_premium,
        "is_admin": user.is_admin,
        "is_active": user.is_active,
        "created_at": user.created_at,
    }


def _duplicate(exc: IntegrityError) -> DuplicateAccount:
    which = constraint_of(exc)
    field = "email" if "email" in which else "username"
    return DuplicateAccount(f"An account with this {field} already exists.", field=field)


class SqlUserRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, user_id: UserId) -> User | None:
        row = await _BY_ID.first(self._conn, {"user_id": user_id})
        return user_from_row(row) if row else None

    async def standing(self, user_id: UserId) -> Standing | None:
        row = await _STANDING.first(self._conn, {"user_id": user_id})
        return Standing(is_active=row.is_active, is_admin=row.is_admin, is_premium=row.is_premium) if row else None

    async def get_for_update(self, user_id: UserId) -> User | None:
        row = (await self._conn.execute(_BY_ID_FOR_UPDATE, {"user_id": user_id})).first()
        return user_from_row(row) if row else None

    async def get_by_login(self, identifier: str) -> User | None:
        query = select(*_USER_COLUMNS).where(or_(users.c.email == identifier.lower(), users.c.username == identifier))
        rows = list((await self._conn.execute(query)).all())
        # An email match wins over a username that happens to look like someone's email.
        rows.sort(key=lambda row: row.email != identifier.lower())
        return user_from_row(rows[0]) if rows else None

    async def add(self, user: User) -> User:
        try:
            async with self._conn.begin_nested():
                new_id = await self._conn.scalar(insert(users).values(**_user_values(user)).returning(users.c.id))
        except IntegrityError as exc:
            raise _duplicate(exc) from exc
        user.id = UserId(int(new_id))
        return user

    async def save(self, user: User) -> None:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(update(users).where(users.c.id == user.uid).values(**_user_values(user)))
        except IntegrityError as exc:
            raise _duplicate(exc) from exc

    async def delete(self, user_id: UserId) -> bool:
        try:
            async with self._conn.begin_nested():
                result = await self._conn.execute(delete(users).where(users.c.id == user_id))
        except IntegrityError as exc:
            raise Conflict("This user has borrowings or payments on record; deactivate the account instead.") from exc
        return bool(result.rowcount)

    async def list(self, filters: UserFilter, page: PageRequest) -> Page[User]:
        query = select(*_USER_COLUMNS).order_by(users.c.id)
        if filters.search:
            query = query.where(users.c.username.icontains(filters.search, autoescape=True))
        if filters.country:
            query = query.where(users.c.country == filters.country)
        if filters.is_premium is not None:
            query = query.where(users.c.is_premium == filters.is_premium)
        if filters.email:
            query = query.where(users.c.email == filters.email.strip().lower())
        return await paged(self._conn, query, page, user_from_row)


def _token_from_row(row: Any) -> RefreshToken:
    return RefreshToken(
        jti=row.jti,
        family_id=row.family_id,
        user_id=UserId(row.user_id),
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        revoked_at=row.revoked_at,
    )


class SqlRefreshTokenRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, token: RefreshToken) -> None:
        await self._conn.execute(
            insert(refresh_tokens).values(
                jti=token.jti,
                family_id=token.family_id,
                user_id=token.user_id,
                issued_at=token.issued_at,
                expires_at=token.expires_at,
                used_at=token.used_at,
                revoked_at=token.revoked_at,
            )
        )

    async def get_for_update(self, jti: str) -> RefreshToken | None:
        query = select(refresh_tokens).where(refresh_tokens.c.jti == jti).with_for_update()
        row = (await self._conn.execute(query)).first()
        return _token_from_row(row) if row else None

    async def save(self, token: RefreshToken) -> None:
        await self._conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.jti == token.jti)
            .values(used_at=token.used_at, revoked_at=token.revoked_at)
        )

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        await self._conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_user(self, user_id: UserId, now: datetime) -> None:
        await self._conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )


class SqlProfileReader:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, user_id: UserId) -> tuple[User, SessionStats] | None:
        row = await _PROFILE.first(self._conn, {"user_id": user_id})
        if row is None:
            return None
        stats = (
            SessionStats()
            if row.total_seconds is None
            else SessionStats(
                total_seconds=row.total_seconds,
                last_7_days_seconds=row.last_7_days_seconds,
                last_30_days_seconds=row.last_30_days_seconds,
                books_read=row.books_read,
                updated_at=row.updated_at,
            )
        )
        return user_from_row(row), stats


class SqlSessionStatsRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, user_id: UserId) -> SessionStats:
        row = (await self._conn.execute(_STATS, {"user_id": user_id})).first()
        if row is None:
            return SessionStats()
        return SessionStats(
            total_seconds=row.total_seconds,
            last_7_days_seconds=row.last_7_days_seconds,
            last_30_days_seconds=row.last_30_days_seconds,
            books_read=row.books_read,
            updated_at=row.updated_at,
        )
