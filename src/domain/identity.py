"""Identity: users, the password policy, login throttling and refresh-token families."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from domain.errors import Conflict, DomainError, InvalidValue
from domain.shared import UserId, has_control_characters

USERNAME_RE = re.compile(r"^[\w.@+-]{3,150}$")
# Deliberately simple: one "@", no spaces or control characters, a dot in the domain.
# Deliverability is proven by the confirmation email, not by a regular expression.
_EMAIL_CHAR = r"[^@\s\x00-\x1f\x7f]"
EMAIL_RE = re.compile(rf"^{_EMAIL_CHAR}{{1,64}}@{_EMAIL_CHAR}+\.{_EMAIL_CHAR}{{2,}}$")
PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{3,32}$")
EMAIL_MAX = 254
COUNTRY_MAX = 64


class InvalidCredentials(DomainError):
    code = "invalid-credentials"
    title = "Invalid credentials"


class AccountInactive(DomainError):
    """Never shown to a client as such: an inactive account answers like a wrong password."""

    code = "account-inactive"
    title = "Invalid credentials"


class DuplicateAccount(Conflict):
    code = "duplicate-account"
    title = "An account with this email or username already exists"


class TokenInvalid(DomainError):
    code = "token-invalid"
    title = "The token is invalid or expired"


class RefreshTokenReused(TokenInvalid):
    code = "refresh-token-reused"
    title = "The token is invalid or expired"


def normalize_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > EMAIL_MAX or not EMAIL_RE.match(email):
        raise InvalidValue("email", "Enter a valid email address.")
    return email


def validate_username(raw: str) -> str:
    username = raw.strip()
    if not USERNAME_RE.match(username):
        raise InvalidValue(
            "username",
            "3-150 characters: letters, digits and @ . + - _ only.",
        )
    return username


def validate_phone(raw: str | None) -> str | None:
    if raw is None or raw.strip() == "":
        return None
    phone = raw.strip()
    if not PHONE_RE.match(phone):
        raise InvalidValue("phone", "Enter a phone number of 3-32 digits, spaces, ( ) - and an optional +.")
    return phone


def validate_country(raw: str | None) -> str | None:
    if raw is None or raw.strip() == "":
        return None
    country = raw.strip()
    if len(country) > COUNTRY_MAX:
        raise InvalidValue("country", f"At most {COUNTRY_MAX} characters.")
    if has_control_characters(country):
        raise InvalidValue("country", "The country must be printable text.")
    return country


def validate_date_of_birth(value: date | None, today: date) -> date | None:
    if value is not None and value > today:
        raise InvalidValue("date_of_birth", "The date of birth cannot be in the future.")
    return value


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """At least ``min_length`` characters, not a common password, not the username or email.

    ``common`` holds lower-cased common passwords (the adapter loads a list of 20,000).
    """

    common: Collection[str] = frozenset()
    min_length: int = 8
    max_length: int = 128

    def check(self, password: str, *, username: str = "", email: str = "") -> None:
        if len(password) < self.min_length:
            raise InvalidValue("password", f"The password must have at least {self.min_length} characters.")
        if len(password) > self.max_length:
            raise InvalidValue("password", f"The password must have at most {self.max_length} characters.")
        lowered = password.lower()
        if lowered in self.common:
            raise InvalidValue("password", "This password is too common.")
        personal = {username.lower(), email.lower(), email.lower().split("@", 1)[0]} - {""}
        if lowered in personal:
            raise InvalidValue("password", "The password is too similar to the username or email.")
        if password.isdigit():
            raise InvalidValue("password", "The password cannot be entirely numeric.")


@dataclass(frozen=True, slots=True)
class LoginThrottle:
    """Per-account back-off: ``max_failures`` failures within ``window`` lock logins
    until enough of them age out of the window.

    Failures are only recorded for attempts that were checked, so a locked account
    unlocks at most ``window`` after the last recorded failure: nobody is locked out forever.
    """

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)

    def recent(self, failures: Iterable[datetime], now: datetime) -> list[datetime]:
        start = now - self.window
        return sorted(moment for moment in failures if start < moment <= now)

    def retry_after(self, failures: Iterable[datetime], now: datetime) -> timedelta | None:
        """How long the account must wait, or ``None`` when a login may be tried."""
        recent = self.recent(failures, now)
        if len(recent) < self.max_failures:
            return None
        # The lock lifts when the count drops below the threshold: when the failure that
        # made the count reach it leaves the window.
        unlock_at = recent[len(recent) - self.max_failures] + self.window
        return unlock_at - now


@dataclass(slots=True)
class User:
    username: str
    email: str
    password_hash: str
    created_at: datetime
    id: UserId | None = None
    phone: str | None = None
    date_of_birth: date | None = None
    country: str | None = None
    avatar_url: str | None = None
    is_premium: bool = False
    is_admin: bool = False
    is_active: bool = True

    @classmethod
    def register(
        cls,
        *,
        username: str,
        email: str,
        password_hash: str,
        now: datetime,
        phone: str | None = None,
        date_of_birth: date | None = None,
        country: str | None = None,
    ) -> User:
        return cls(
            username=validate_username(username),
            email=normalize_email(email),
            password_hash=password_hash,
            created_at=now,
            phone=validate_phone(phone),
            date_of_birth=validate_date_of_birth(date_of_birth, now.date()),
            country=validate_country(country),
        )

    @property
    def uid(self) -> UserId:
        if self.id is None:
            msg = "the user has not been saved yet"
            raise RuntimeError(msg)
        return self.id

    def ensure_can_log_in(self) -> None:
        if not self.is_active:
            raise AccountInactive


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    """Fields a user may change on their own profile. Only the names listed in ``fields``
    are applied, so that "absent" and "set to null" stay different (PATCH semantics)."""

    username: str | None = None
    phone: str | None = None
    country: str | None = None
    date_of_birth: date | None = None
    fields: frozenset[str] = field(default_factory=frozenset)

    def apply_to(self, user: User, today: date) -> None:
        if "username" in self.fields:
            if self.username is None:
                raise InvalidValue("username", "The username cannot be empty.")
            user.username = validate_username(self.username)
        if "phone" in self.fields:
            user.phone = validate_phone(self.phone)
        if "country" in self.fields:
            user.country = validate_country(self.country)
        if "date_of_birth" in self.fields:
            user.date_of_birth = validate_date_of_birth(self.date_of_birth, today)


@dataclass(frozen=True, slots=True)
class AdminChanges:
    """What an admin may change on any user, on top of the profile fields."""

    profile: ProfileChanges = field(default_factory=ProfileChanges)
    email: str | None = None
    is_admin: bool | None = None
    is_premium: bool | None = None
    is_active: bool | None = None

    def apply_to(self, user: User, today: date) -> None:
        self.profile.apply_to(user, today)
        if self.email is not None:
            user.email = normalize_email(self.email)
        if self.is_admin is not None:
            user.is_admin = self.is_admin
        if self.is_premium is not None:
            user.is_premium = self.is_premium
        if self.is_active is not None:
            user.is_active = self.is_active


@dataclass(slots=True)
class RefreshToken:
    """One refresh token of a family. Rotation marks it used and issues its successor;
    presenting a used token again means it leaked: the whole family is revoked."""

    jti: str
    family_id: str
    user_id: UserId
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None

    def check_usable(self, now: datetime) -> None:
        if self.revoked_at is not None or self.expires_at <= now:
            raise TokenInvalid
        if self.used_at is not None:
            raise RefreshTokenReused

    def successor(self, jti: str, now: datetime, lifetime: timedelta) -> RefreshToken:
        self.check_usable(now)
        self.used_at = now
        return RefreshToken(
            jti=jti,
            family_id=self.family_id,
            user_id=self.user_id,
            issued_at=now,
            expires_at=now + lifetime,
        )


@dataclass(frozen=True, slots=True)
class SessionStats:
    total_seconds: int = 0
    last_7_days_seconds: int = 0
    last_30_days_seconds: int = 0
    books_read: int = 0
    updated_at: datetime | None = None
