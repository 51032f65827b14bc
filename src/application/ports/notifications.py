"""Ports for the messages Athenaeum sends: email, the library's Telegram chat, realtime pushes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class EmailMessage:
    to: tuple[str, ...]
    subject: str
    body: str

    def as_payload(self) -> dict[str, Any]:
        return {"to": list(self.to), "subject": self.subject, "body": self.body}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> EmailMessage:
        return cls(to=tuple(payload["to"]), subject=str(payload["subject"]), body=str(payload["body"]))


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Deliver now or raise ``DeliveryFailed``."""
        ...


class Notifier(Protocol):
    """The library's staff channel (Telegram)."""

    async def notify(self, text: str) -> None:
        """Deliver now or raise ``DeliveryFailed``."""
        ...


class EventPublisher(Protocol):
    """Realtime pushes to connected clients (Socket.IO). Best effort, after commit: a push
    that cannot be delivered is logged, never raised.

    ``payload`` holds JSON-able values plus ``datetime`` (sent as ISO 8601). ``skip_connection``
    is the id of the connection that caused the event (it gets an acknowledgement instead);
    ``None`` reaches every connection of the users or room.
    """

    async def to_users(
        self,
        user_ids: Iterable[int],
        event: str,
        payload: Mapping[str, Any],
        *,
        skip_connection: str | None = None,
    ) -> None: ...

    async def to_room(
        self, room: str, event: str, payload: Mapping[str, Any], *, skip_connection: str | None = None
    ) -> None: ...


class DeliveryFailed(Exception):
    """A message could not be delivered this time; the outbox will try again."""
