"""Changing the email address of an account, confirmed from the new address.

1. ``RequestEmailChange``: a signed-in user names a new address; a single-use token
   (32 random bytes, URL-safe) is emailed to it through the outbox. Only the token's
   SHA-256 is stored; an earlier unused request of the same user stops working.
2. ``ConfirmEmailChange``: whoever holds the token applies it (no sign-in needed: the token
   is the proof). The old address is told about the change, through the outbox too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from application.errors import NotFound, RateLimited
from application.messages import Dispatch
from application.ports.clock import Clock
from application.ports.email_changes import EmailChangeUnitOfWork
from application.ports.identity import RateLimiter
from application.use_cases.identity import Profile
from domain.email_change import (
    EMAIL_CHANGE_LIFETIME,
    EmailChange,
    EmailChangeTokenInvalid,
    EmailTaken,
    token_digest,
)
from domain.shared import UserId

UowFactory = Callable[[], EmailChangeUnitOfWork]

TOKEN_BYTES = 32
#: Requests per user and hour (each one sends an email to an address of the user's choosing).
REQUESTS_PER_HOUR = 5
CONFIRM_PATH = "/api/users/me/email/confirm"


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


@dataclass(frozen=True, slots=True)
class EmailChangeRequested:
    new_email: str
    expires_at: datetime


class RequestEmailChange:
    def __init__(
        self,
        uow: UowFactory,
        dispatch: Dispatch,
        clock: Clock,
        limiter: RateLimiter,
        base_url: str,
        lifetime: timedelta = EMAIL_CHANGE_LIFETIME,
        token_factory: Callable[[], str] = new_token,
    ) -> None:
        self._uow, self._dispatch, self._clock, self._limiter = uow, dispatch, clock, limiter
        self._base_url, self._lifetime, self._new_token = base_url.rstrip("/"), lifetime, token_factory

    async def __call__(self, *, user_id: UserId, new_email: str) -> EmailChangeRequested:
        wait = await self._limiter.hit(f"email-change:{user_id}", limit=REQUESTS_PER_HOUR, window_seconds=3600)
        if wait is not None:
            raise RateLimited(wait, "Too many email change requests; try again later.")
        now = self._clock.now()
        token = self._new_token()
        async with self._uow() as uow:
            user = await uow.users.get_for_update(user_id)
            if user is None:
                raise NotFound("user", user_id)
            change = EmailChange.request(user=user, new_email=new_email, token=token, now=now, lifetime=self._lifetime)
            if await uow.email_changes.email_taken(change.new_email, except_user=user.uid):
                raise EmailTaken("Another account already uses this email address.", field="new_email")
            await uow.email_changes.discard_pending(user.uid)
            await uow.email_changes.add(change)
            link = f"{self._base_url}{CONFIRM_PATH}?{urlencode({'token': token})}"
            body = CONFIRM_BODY.format(
                username=user.username, link=link, token=token, hours=_hours(self._lifetime), path=CONFIRM_PATH
            )
            await uow.outbox.add(self._dispatch.email(change.new_email, CONFIRM_SUBJECT, body), now=now)
            await uow.commit()
        return EmailChangeRequested(new_email=change.new_email, expires_at=change.expires_at)


class ConfirmEmailChange:
    def __init__(self, uow: UowFactory, dispatch: Dispatch, clock: Clock) -> None:
        self._uow, self._dispatch, self._clock = uow, dispatch, clock

    async def __call__(self, *, token: str) -> Profile:
        now = self._clock.now()
        async with self._uow() as uow:
            change = await uow.email_changes.get_for_update(token_digest(token))
            if change is None:
                raise EmailChangeTokenInvalid("The confirmation token is invalid, used or expired.")
            user = await uow.users.get_for_update(change.user_id)
            if user is None or not user.is_active:
                raise EmailChangeTokenInvalid("The confirmation token is invalid, used or expired.")
            new_email = change.redeem(now)
            if await uow.email_changes.email_taken(new_email, except_user=user.uid):
                raise EmailTaken("Another account started using this email address in the meantime.")
            old_email, user.email = user.email, new_email
            await uow.users.save(user)  # the unique index has the last word: DuplicateAccount → 409
            await uow.email_changes.save(change)
            await uow.email_changes.discard_pending(user.uid)
            body = CHANGED_BODY.format(username=user.username, old=old_email, new=new_email, when=now.isoformat())
            await uow.outbox.add(self._dispatch.email(old_email, CHANGED_SUBJECT, body), now=now)
            stats = await uow.session_stats.get(user.uid)
            await uow.commit()
        return Profile(user=user, stats=stats)


def _hours(lifetime: timedelta) -> str:
    hours = lifetime.total_seconds() / 3600
    return f"{hours:g} hour" + ("" if hours == 1 else "s")


CONFIRM_SUBJECT = "Confirm your new email address"
CONFIRM_BODY = """\
Hello {username},

Someone, hopefully you, asked to use this address for the Athenaeum account "{username}".
To confirm, open this link within {hours}:

{link}

Or send the token yourself: POST {path} with {{"token": "<token>"}}
Token: {token}

The token works once. If you did not ask for this, ignore this email: nothing changes.
"""

CHANGED_SUBJECT = "Your email address was changed"
CHANGED_BODY = """\
Hello {username},

The email address of your Athenaeum account "{username}" was changed
from {old} to {new} at {when}.

If you did not do this, contact the library staff at once.
"""
