"""RFC 9457 problem details for every error, from one table.

Domain and application errors map to a status here and nowhere else. Unknown exceptions
become a 500 problem without internals and are logged with the request id.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from application.errors import (
    Forbidden,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServiceUnavailable,
    UnsupportedMedia,
    UpstreamFailed,
)
from domain.circulation import InvalidReturnDate
from domain.errors import Conflict, DomainError, InvalidValue
from domain.identity import InvalidCredentials, TokenInvalid

log = structlog.get_logger("athenaeum.http")

#: msgspec names a missing or unknown field in its message, while Litestar reports the error
#: on the object that holds it (``data`` for the whole body).
_FIELD_IN_MESSAGE = re.compile(r"^Object (?:missing required|contains unknown) field `(?P<field>[^`]+)`")
BODY_PARAMETER = "data"

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:athenaeum:problem:"
RETRY_UNAVAILABLE_SECONDS = "5"  #: the Retry-After of a 503 (a dependency is down)

#: The single mapping from errors to HTTP statuses; the most specific class wins.
STATUS_BY_ERROR: dict[type[DomainError], int] = {
    InvalidValue: 422,
    InvalidReturnDate: 400,  # the contract: an expected_return_date not after today → 400
    InvalidCredentials: 401,
    TokenInvalid: 401,
    NotAuthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
    UnsupportedMedia: 415,
    RateLimited: 429,
    UpstreamFailed: 502,
    ServiceUnavailable: 503,
}


def status_for(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    code: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{code}" if code else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update({k: v for k, v in extra.items() if k not in body})
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problem_body(error: DomainError) -> tuple[int, dict[str, Any]]:
    """The status and problem object of a domain error (shared with Socket.IO acks)."""
    status = status_for(error)
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{error.code}",
        "title": error.title,
        "status": status,
        "detail": error.detail,
    }
    if isinstance(error, InvalidValue):
        body["errors"] = [{"field": error.field, "message": error.detail}]
    return status, body


def _domain_error(_: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    status, body = problem_body(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    if status == 503:  # noqa: PLR2004 - a dependency is down: say when to try again
        headers["Retry-After"] = RETRY_UNAVAILABLE_SECONDS
    if status == 401:  # noqa: PLR2004
        headers["WWW-Authenticate"] = 'Bearer realm="athenaeum"'
    for key, value in exc.extra.items():
        if key not in body and key != "field":
            body[key] = value
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers or None)


def _validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        source = item.get("source")
        field = item.get("key")
        named = _FIELD_IN_MESSAGE.match(str(item.get("message") or ""))
        if named and source == "body":
            field = named["field"] if field == BODY_PARAMETER else f"{field}.{named['field']}"
        errors.append(
            {
                "field": field,
                "message": item.get("message"),
                "in": getattr(source, "value", source) or "body",
            }
        )
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "The request is invalid."
    return problem(400, "Invalid request", detail, code="invalid-request", errors=errors or None)


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    headers = dict(exc.headers or {})
    try:
        title = HTTPStatus(exc.status_code).phrase
    except ValueError:
        title = "Error"
    detail = exc.detail
    if exc.status_code == 404:  # noqa: PLR2004
        detail = "Nothing is at this address."
    return problem(exc.status_code, title, detail, headers=headers or None)


def _database_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[dict[str, Any]]:
    if isinstance(exc, DataError):
        # The database refused a value (a NUL byte, a number out of range, …): the input was
        # bad, so it is a client error. Validation should have caught it; log to find where.
        log.warning("database refused a value", path=request.url.path, error=str(exc.orig)[:200])
        return problem(
            400,
            "Invalid request",
            "A value in the request cannot be stored (control characters, or a number out of range).",
            code="invalid-request",
        )
    if exc.connection_invalidated or _is_connection_problem(exc):
        log.warning("database unavailable", path=request.url.path, error=str(exc.orig))
        return _unavailable("The database is unavailable; try again shortly.")
    return _unexpected(request, exc)


def _unavailable(detail: str) -> Response[dict[str, Any]]:
    return problem(
        503,
        "Service unavailable",
        detail,
        code="service-unavailable",
        headers={"Retry-After": RETRY_UNAVAILABLE_SECONDS},
    )


def _pool_exhausted(request: Request[Any, Any, Any], exc: PoolTimeout) -> Response[dict[str, Any]]:
    # Every pooled connection stayed busy for DB_POOL_TIMEOUT_SECONDS: the process is
    # overloaded, not broken. Say so, and when to come back.
    log.warning("no database connection free", path=request.url.path, error=str(exc)[:200])
    return _unavailable("The service is too busy to answer now; try again shortly.")


def _is_connection_problem(exc: DBAPIError) -> bool:
    name = type(exc.orig).__name__ if exc.orig is not None else ""
    return name in {"OperationalError", "InterfaceError", "AdminShutdown", "ConnectionTimeout"}


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.error("unhandled error", path=request.url.path, method=request.method, exc_info=exc)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Internal server error",
        "Something went wrong on our side. It has been logged.",
    )


exception_handlers: dict[Any, Any] = {
    DomainError: _domain_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    DBAPIError: _database_error,
    PoolTimeout: _pool_exhausted,
    Exception: _unexpected,
}
