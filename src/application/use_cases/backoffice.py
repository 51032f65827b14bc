"""Access to the admin web UI: an admin signs in with the same credentials as the API.

The admin UI keeps its own signed session cookie holding the user id; every request
re-reads the user, so removing ``is_admin`` or deactivating the account locks them out at once.
"""

from __future__ import annotations

from collections.abc import Callable

from application.errors import Forbidden
from application.ports.uow import IdentityUnitOfWork
from application.use_cases.identity import Authenticate, LogIn, LogOut, Principal
from domain.shared import UserId


class SignInToAdmin:
    """Check the credentials exactly as ``POST /api/auth/login`` does (same throttling and
    same answer for unknown accounts), then require ``is_admin``.

    The token family that the login issued is revoked at once: the admin UI does not use it.
    """

    def __init__(self, log_in: LogIn, authenticate: Authenticate, log_out: LogOut) -> None:
        self._log_in, self._authenticate, self._log_out = log_in, authenticate, log_out

    async def __call__(self, *, identifier: str, password: str) -> Principal:
        pair = await self._log_in(identifier=identifier, password=password)
        principal = await self._authenticate(token=pair.access)
        await self._log_out(user_id=principal.user_id, refresh=pair.refresh)
        if not principal.is_admin:
            raise Forbidden("The admin UI is for admins only.")
        return principal


class CheckAdmin:
    """Is this user (still) an active admin?"""

    def __init__(self, uow: Callable[[], IdentityUnitOfWork]) -> None:
        self._uow = uow

    async def __call__(self, *, user_id: UserId) -> bool:
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
        return user is not None and user.is_active and user.is_admin
