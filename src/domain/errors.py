"""Domain errors: a rule said no.

Every error carries a stable ``code`` (used to build the problem-details ``type`` URI)
and a human ``title``. No HTTP status lives here: the edge maps errors to statuses in
one table (``entrypoints/http/errors.py``).
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A business rule refused an operation."""

    code: ClassVar[str] = "domain-error"
    title: ClassVar[str] = "The operation is not allowed"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.title
        self.extra = extra
        super().__init__(self.detail)


class InvalidValue(DomainError):
    """A value broke a rule of its own (length, range, format).

    ``field`` names the offending input so that the edge can list it under ``errors``.
    """

    code = "invalid-value"
    title = "Invalid value"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail, field=field)
        self.field = field


class Conflict(DomainError):
    """The operation conflicts with the current state."""

    code = "conflict"
    title = "Conflict with the current state"
