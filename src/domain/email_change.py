"""Changing a user's email address: a single-use token proves the new address is theirs.

Only a digest of the token is kept; the token itself travels once, in the email to the new
address. A token works once, until it expires, and only while its user is active.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import Conflict, DomainError, InvalidValue
from domain.identity import User, normalize_email
from domain.shared import UserId

#: How long a confirmation token works.
EMAIL_CHANGE_LIFETIME = timedelta(hours=24)


class EmailChangeTokenInvalid(DomainError):
    """Unknown, already used, superseded or expired (told apart for nobody)."""

    code = "email-change-token-invalid"
    title = "The confirmation token is invalid, used or expired"


class EmailTaken(Conflict):
    code = "email-taken"
    title = "This email address belongs to another account"


def token_digest(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


def validate_new_email(raw: str, user: User) -> str:
    try:
        email = normalize_email(raw)
    except InvalidValue as exc:
        raise InvalidValue("new_email", exc.detail) from exc
    if email == user.email:
        raise InvalidValue("new_email", "This is already your email address.")
    return email


@dataclass(slots=True)
class EmailChange:
    user_id: UserId
    new_email: str
    token_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    id: int | None = None

    @classmethod
    def request(
        cls, *, user: User, new_email: str, token: str, now: datetime, lifetime: timedelta = EMAIL_CHANGE_LIFETIME
    ) -> EmailChange:
        return cls(
            user_id=user.uid,
            new_email=validate_new_email(new_email, user),
            token_hash=token_digest(token),
            created_at=now,
            expires_at=now + lifetime,
        )

    def redeem(self, now: datetime) -> str:
        """Use the token up; return the address it confirms."""
        if self.used_at is not None or self.expires_at <= now:
            raise EmailChangeTokenInvalid("The confirmation token is invalid, used or expired.")
        self.used_at = now
        return self.new_email
