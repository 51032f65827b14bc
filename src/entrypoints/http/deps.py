"""Litestar dependencies: the caller (from the JWT), paging, and use cases from the container.

Handlers never touch the container directly: ``use_case(...)`` turns a provider path into a
Litestar ``Provide``. Providers resolve per call, so test overrides apply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from anyio import CancelScope
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter, QueryParameter

from application.errors import Forbidden, NotAuthenticated, RateLimited
from application.results import PageRequest
from application.use_cases.identity import Principal
from entrypoints.http.schemas.common import MAX_INT

if TYPE_CHECKING:
    from entrypoints.container import App

MAX_PAGE = 100

#: A resource id in a path: ``/api/things/{thing_id:int}`` + ``thing_id: ResourceId``.
ResourceId = Annotated[int, PathParameter(ge=1, le=MAX_INT, description="The resource's id.")]


def container_of(connection: ASGIConnection[Any, Any, Any, Any]) -> App:
    """The application's container, read from the app's state through the connection.

    Dependencies take ``request``, never ``state``: Litestar passes a ``state`` parameter
    through its signature model, which builds a new ``State`` (and its lock) for every
    parameter of every request. (py-spy put 6 % of a book detail's samples there; the CPU
    per request measured with wrk did not move beyond noise when it went.)
    """
    return connection.app.state["container"]


def use_case(select: Callable[[App], Callable[[], Any]]) -> Provide:
    """``use_case(lambda c: c.identity.log_in)`` → a dependency that builds the use case."""

    def dependency(request: Request[Any, Any, Any]) -> Any:
        return select(container_of(request))()

    return Provide(dependency, sync_to_thread=False)


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    state = request.app.state
    header = request.headers.get(state["auth_header"])
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated(f"Send `{state['auth_header']}: Bearer <access token>`.")
    return token.strip()


def access_token(request: Request[Any, Any, Any]) -> str:
    """The bearer token itself, for use cases that verify it as part of their own read."""
    token = bearer_token(request)
    if token is None:
        raise NotAuthenticated(f"Send `{request.app.state['auth_header']}: Bearer <access token>`.")
    return token


async def _authenticate(request: Request[Any, Any, Any], token: str) -> Principal:
    # A database call cancelled halfway invalidates its pooled connection, and with aiosqlite
    # the forced close leaves a task that never ends (the process then hangs at shutdown).
    # Siblings no longer cancel it (dependencies run one at a time: dependency_order.py), but
    # a shutdown or a timeout still may. The lookup is short: let it finish, then cancel.
    with CancelScope(shield=True):
        principal: Principal = await container_of(request).identity.authenticate()(token=token)
    return principal


async def current_principal(request: Request[Any, Any, Any]) -> Principal:
    return await _authenticate(request, access_token(request))


async def optional_principal(request: Request[Any, Any, Any]) -> Principal | None:
    token = bearer_token(request)
    if token is None:
        return None
    return await _authenticate(request, token)


async def admin_principal(principal: NamedDependency[Principal]) -> Principal:
    if not principal.is_admin:
        raise Forbidden("Admins only.")
    return principal


async def premium_principal(principal: NamedDependency[Principal]) -> Principal:
    if not (principal.is_premium or principal.is_admin):
        raise Forbidden("This is for premium members.")
    return principal


def page_request(
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="Page size (at most 100).")] = 20,
    offset: Annotated[int, QueryParameter(ge=0, le=MAX_INT, description="Items to skip.")] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


def small_page_request(
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="Page size (at most 100).")] = 10,
    offset: Annotated[int, QueryParameter(ge=0, le=MAX_INT, description="Items to skip.")] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


async def auth_rate_limit(request: Request[Any, Any, Any]) -> None:
    """Per client IP, register and login share one budget per minute."""
    client = request.client.host if request.client else "unknown"
    limiter = container_of(request).gateways.rate_limiter()
    wait = await limiter.hit(f"auth-ip:{client}", limit=request.app.state["auth_rate_limit"], window_seconds=60)
    if wait is not None:
        raise RateLimited(wait, "Too many sign-in attempts from this address.")


#: Dependencies available to every handler by name.
COMMON: dict[str, Provide] = {
    "principal": Provide(current_principal),
    "access_token": Provide(access_token, sync_to_thread=False),
    "viewer": Provide(optional_principal),
    "admin": Provide(admin_principal),
    "premium": Provide(premium_principal),
    "page": Provide(page_request, sync_to_thread=False),
}
