"""The outbox: messages written in the transaction of the change that causes them,
delivered afterwards by the ``send_outbox`` job."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from domain.delivery import RetryPolicy


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    kind: str  # "email", "telegram", … : which sender delivers it
    payload: Mapping[str, Any]
    retry: RetryPolicy


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    id: int
    kind: str
    payload: Mapping[str, Any]
    attempts: int  # attempts made before this one
    max_attempts: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxStats:
    pending: int = 0
    failed: int = 0
    oldest_pending_age_seconds: float = 0.0
    by_kind: Mapping[str, int] = field(default_factory=dict)


class Outbox(Protocol):
    async def add(self, message: OutboxMessage, *, now: datetime) -> None: ...

    async def claim_due(self, *, now: datetime, lease_until: datetime, limit: int) -> Sequence[ClaimedMessage]:
        """Due pending messages, claimed until ``lease_until`` (others skip them)."""
        ...

    async def mark_sent(self, message_id: int, *, now: datetime) -> None: ...

    async def mark_retry(self, message_id: int, *, attempts: int, next_attempt_at: datetime, error: str) -> None: ...

    async def mark_failed(self, message_id: int, *, attempts: int, now: datetime, error: str) -> None: ...

    async def stats(self, *, now: datetime) -> OutboxStats: ...


class Sender(Protocol):
    """Delivers one kind of outbox message. Raises on failure (the outbox retries)."""

    async def send(self, payload: Mapping[str, Any]) -> None: ...
