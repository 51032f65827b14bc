"""Errors raised by use cases (not by a business rule of one entity)."""

from __future__ import annotations

from domain.errors import DomainError


class ApplicationError(DomainError):
    code = "application-error"
    title = "The request could not be completed"


class NotFound(ApplicationError):
    """Missing, or not visible to the caller: the two are never told apart."""

    code = "not-found"
    title = "Not found"

    def __init__(self, resource: str, ident: object | None = None) -> None:
        detail = f"No {resource} with id {ident}." if ident is not None else f"No such {resource}."
        super().__init__(detail)
        self.resource = resource


class Forbidden(ApplicationError):
    code = "forbidden"
    title = "Not allowed"


class NotAuthenticated(ApplicationError):
    code = "not-authenticated"
    title = "Authentication required"


class RateLimited(ApplicationError):
    code = "rate-limited"
    title = "Too many requests"

    def __init__(self, retry_after_seconds: int, detail: str | None = None) -> None:
        super().__init__(detail or f"Try again in {retry_after_seconds} seconds.")
        self.retry_after_seconds = max(1, retry_after_seconds)


class ServiceUnavailable(ApplicationError):
    """A dependency (database, payment provider) cannot be reached right now."""

    code = "service-unavailable"
    title = "A service the request needs is unavailable"


class UpstreamFailed(ApplicationError):
    """A dependency answered, but with an error."""

    code = "upstream-failed"
    title = "A service the request needs answered with an error"


class UnsupportedMedia(ApplicationError):
    """The content is not of a type this endpoint accepts (checked by decoding, not by name)."""

    code = "unsupported-media"
    title = "Unsupported media type"


class PayloadTooLarge(ApplicationError):
    code = "payload-too-large"
    title = "Too large"
