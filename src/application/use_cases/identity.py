"""Identity use cases: register, log in, refresh, log out, profiles, user administration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from application.errors import Forbidden, NotAuthenticated, NotFound, RateLimited
from application.ports.clock import Clock
from application.ports.identity import (
    AccessClaims,
    FailureLog,
    PasswordHasher,
    Standing,
    TokenCodec,
    UserFilter,
)
from application.ports.uow import IdentityUnitOfWork
from application.results import Page, PageRequest
from domain.errors import InvalidValue
from domain.identity import (
    AdminChanges,
    InvalidCredentials,
    LoginThrottle,
    PasswordPolicy,
    ProfileChanges,
    RefreshToken,
    RefreshTokenReused,
    SessionStats,
    TokenInvalid,
    User,
)
from domain.shared import UserId

UowFactory = Callable[[], IdentityUnitOfWork]


@dataclass(frozen=True, slots=True)
class TokenPair:
    access: str
    refresh: str
    token_type: str = "Bearer"  # noqa: S105 - a token type, not a secret


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as established from a verified access token and the current user row."""

    user_id: UserId
    is_admin: bool
    is_premium: bool


@dataclass(frozen=True, slots=True)
class Profile:
    user: User
    stats: SessionStats


@dataclass(frozen=True, slots=True)
class TokenLifetimes:
    access: timedelta = timedelta(minutes=15)
    refresh: timedelta = timedelta(days=7)


class RegisterUser:
    def __init__(self, uow: UowFactory, hasher: PasswordHasher, policy: PasswordPolicy, clock: Clock) -> None:
        self._uow, self._hasher, self._policy, self._clock = uow, hasher, policy, clock

    async def __call__(
        self,
        *,
        username: str,
        email: str,
        password: str,
        phone: str | None = None,
        date_of_birth: date | None = None,
        country: str | None = None,
        is_admin: bool = False,
    ) -> User:
        now = self._clock.now()
        # Validate everything that needs no database before the (costly) hash.
        user = User.register(
            username=username,
            email=email,
            password_hash="",
            now=now,
            phone=phone,
            date_of_birth=date_of_birth,
            country=country,
        )
        self._policy.check(password, username=user.username, email=user.email)
        user.password_hash = await self._hasher.hash(password)
        user.is_admin = is_admin
        async with self._uow() as uow:
            user = await uow.users.add(user)
            await uow.commit()
        return user


class LogIn:
    """Email or username plus password → a new token family.

    Unknown account, wrong password and inactive account give the same error after the
    same hashing work. Failures are counted per account key; past the threshold the
    account answers 429 until the window lets it try again.
    """

    def __init__(
        self,
        uow: UowFactory,
        hasher: PasswordHasher,
        codec: TokenCodec,
        failures: FailureLog,
        throttle: LoginThrottle,
        lifetimes: TokenLifetimes,
        clock: Clock,
    ) -> None:
        self._uow, self._hasher, self._codec = uow, hasher, codec
        self._failures, self._throttle = failures, throttle
        self._lifetimes, self._clock = lifetimes, clock

    async def __call__(self, *, identifier: str, password: str) -> TokenPair:
        now = self._clock.now()
        async with self._uow() as uow:
            user = await uow.users.get_by_login(identifier.strip())
        # Failures count per account, whether its email or its username was typed (else an
        # attacker gets the budget twice); for an unknown account, per name typed. The two
        # key spaces cannot meet: no typed name can stand for an account id.
        key = f"login-account:{user.uid}" if user is not None else "login:" + identifier.strip().lower()
        wait = self._throttle.retry_after(await self._failures.recent(key, now - self._throttle.window), now)
        if wait is not None:
            raise RateLimited(int(wait.total_seconds() + 0.999), "Too many failed logins for this account.")

        ok = await self._hasher.verify(user.password_hash if user else None, password)
        if user is None or not ok or not user.is_active:
            await self._failures.record(key, now, int(self._throttle.window.total_seconds()))
            raise InvalidCredentials("No active account matches these credentials.")
        await self._failures.clear(key)

        async with self._uow() as uow:
            if self._hasher.needs_rehash(user.password_hash):
                fresh = await uow.users.get_for_update(user.uid)
                if fresh is not None:
                    fresh.password_hash = await self._hasher.hash(password)
                    await uow.users.save(fresh)
            refresh = RefreshToken(
                jti=self._codec.new_id(),
                family_id=self._codec.new_id(),
                user_id=user.uid,
                issued_at=now,
                expires_at=now + self._lifetimes.refresh,
            )
            await uow.refresh_tokens.add(refresh)
            await uow.commit()
        return TokenPair(access=self._codec.encode_access(user.uid, now), refresh=self._codec.encode_refresh(refresh))


class RefreshTokens:
    """Rotate: the presented refresh token is used up and a successor issued.

    Presenting an already-used token revokes its whole family (it has leaked)."""

    def __init__(self, uow: UowFactory, codec: TokenCodec, lifetimes: TokenLifetimes, clock: Clock) -> None:
        self._uow, self._codec, self._lifetimes, self._clock = uow, codec, lifetimes, clock

    async def __call__(self, *, refresh: str) -> TokenPair:
        claims = self._codec.decode_refresh(refresh)
        now = self._clock.now()
        async with self._uow() as uow:
            token = await uow.refresh_tokens.get_for_update(claims.jti)
            if token is None or token.family_id != claims.family_id:
                raise TokenInvalid
            user = await uow.users.get(token.user_id)
            if user is None or not user.is_active:
                raise TokenInvalid
            try:
                successor = token.successor(self._codec.new_id(), now, self._lifetimes.refresh)
            except RefreshTokenReused:
                await uow.refresh_tokens.revoke_family(token.family_id, now)
                await uow.commit()
                raise
            await uow.refresh_tokens.save(token)
            await uow.refresh_tokens.add(successor)
            await uow.commit()
        return TokenPair(access=self._codec.encode_access(user.uid, now), refresh=self._codec.encode_refresh(successor))


class LogOut:
    """Revoke the family of the given refresh token. Only its owner may do it."""

    def __init__(self, uow: UowFactory, codec: TokenCodec, clock: Clock) -> None:
        self._uow, self._codec, self._clock = uow, codec, clock

    async def __call__(self, *, user_id: UserId, refresh: str) -> None:
        claims = self._codec.decode_refresh(refresh)
        if claims.user_id != user_id:
            raise TokenInvalid
        async with self._uow() as uow:
            await uow.refresh_tokens.revoke_family(claims.family_id, self._clock.now())
            await uow.commit()


def verified_access(codec: TokenCodec, token: str) -> AccessClaims:
    """The claims of a valid access token; anything else is ``NotAuthenticated``."""
    try:
        return codec.decode_access(token)
    except TokenInvalid as exc:
        raise NotAuthenticated(exc.detail) from exc


def acting_user(codec: TokenCodec | None, user_id: UserId | None, token: str | None) -> UserId:
    """Who acts in a write use case that may authenticate its caller itself: ``user_id``
    (authenticated already), or the subject of a valid access ``token`` — whose account the
    use case then checks on the row it locks anyway. Exactly one of the two is given."""
    if token is None:
        if user_id is None:
            msg = "give user_id or token"
            raise TypeError(msg)
        return user_id
    if user_id is not None:
        msg = "give user_id or token, not both"
        raise TypeError(msg)
    if codec is None:
        msg = "this use case was built without a token codec"
        raise TypeError(msg)
    return verified_access(codec, token).user_id


SIGNED_OUT = "The token is invalid or expired."
#: An account as read to authenticate: the whole user, or its standing alone.
Account = TypeVar("Account", User, Standing)


def ensure_signed_in(account: Account | None) -> Account:
    """The token's user must still exist and be active (deactivation takes effect at once)."""
    if account is None or not account.is_active:
        raise NotAuthenticated(SIGNED_OUT)
    return account


class Authenticate:
    """Access token → ``Principal``. The user row is read on every call, so deactivation,
    deletion and role changes take effect at once."""

    def __init__(self, uow: UowFactory, codec: TokenCodec) -> None:
        self._uow, self._codec = uow, codec

    async def __call__(self, *, token: str) -> Principal:
        claims = verified_access(self._codec, token)
        async with self._uow() as uow:
            standing = ensure_signed_in(await uow.users.standing(claims.user_id))
        return Principal(user_id=claims.user_id, is_admin=standing.is_admin, is_premium=standing.is_premium)


class GetProfile:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, user_id: UserId) -> Profile:
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound("user", user_id)
            stats = await uow.session_stats.get(user_id)
        return Profile(user=user, stats=stats)


class ReadOwnProfile:
    """Your own profile, straight from your access token: the read itself checks that the
    account still exists and is active (what ``Authenticate`` checks), so ``/api/users/me``
    costs one connection instead of two."""

    def __init__(self, uow: UowFactory, codec: TokenCodec) -> None:
        self._uow, self._codec = uow, codec

    async def __call__(self, *, token: str) -> Profile:
        claims = verified_access(self._codec, token)
        async with self._uow() as uow:
            found = await uow.profiles.get(claims.user_id)
        user, stats = found if found is not None else (None, SessionStats())
        return Profile(user=ensure_signed_in(user), stats=stats)


class UpdateProfile:
    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, *, user_id: UserId, changes: ProfileChanges) -> Profile:
        async with self._uow() as uow:
            user = await uow.users.get_for_update(user_id)
            if user is None:
                raise NotFound("user", user_id)
            changes.apply_to(user, self._clock.today())
            await uow.users.save(user)
            stats = await uow.session_stats.get(user_id)
            await uow.commit()
        return Profile(user=user, stats=stats)


class ListUsers:
    """Public profiles; only admins may see or filter by email."""

    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, viewer: Principal | None, filters: UserFilter, page: PageRequest) -> Page[User]:
        if filters.email is not None and (viewer is None or not viewer.is_admin):
            raise Forbidden("Only admins may filter users by email.")
        async with self._uow() as uow:
            return await uow.users.list(filters, page)


class GetUser:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, user_id: UserId) -> Profile:
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound("user", user_id)
            return Profile(user=user, stats=await uow.session_stats.get(user_id))


class AdministerUser:
    """Admin change of any user. Deactivating revokes every refresh token at once;
    access tokens stop working on their next request (``Authenticate`` reads the row)."""

    def __init__(self, uow: UowFactory, hasher: PasswordHasher, policy: PasswordPolicy, clock: Clock) -> None:
        self._uow, self._hasher, self._policy, self._clock = uow, hasher, policy, clock

    async def __call__(
        self, *, actor: Principal, user_id: UserId, changes: AdminChanges, password: str | None = None
    ) -> Profile:
        if actor.user_id == user_id and (changes.is_admin is False or changes.is_active is False):
            raise InvalidValue("is_admin", "Admins cannot remove their own admin rights or deactivate themselves.")
        now = self._clock.now()
        new_hash = None
        if password is not None:
            self._policy.check(password)
            new_hash = await self._hasher.hash(password)
        async with self._uow() as uow:
            user = await uow.users.get_for_update(user_id)
            if user is None:
                raise NotFound("user", user_id)
            was_active = user.is_active
            changes.apply_to(user, now.date())
            if new_hash is not None:
                user.password_hash = new_hash
            await uow.users.save(user)
            if (was_active and not user.is_active) or new_hash is not None:
                await uow.refresh_tokens.revoke_user(user_id, now)
            stats = await uow.session_stats.get(user_id)
            await uow.commit()
        return Profile(user=user, stats=stats)


class DeleteUser:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, actor: Principal, user_id: UserId) -> None:
        if actor.user_id == user_id:
            raise InvalidValue("id", "Admins cannot delete their own account.")
        async with self._uow() as uow:
            if not await uow.users.delete(user_id):
                raise NotFound("user", user_id)
            await uow.commit()


def ensure_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("Admins only.")
