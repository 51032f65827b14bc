"""Building outbox messages with the configured retry policies, and the senders that
turn outbox payloads back into calls on the Mailer / Notifier ports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from application.ports.notifications import EmailMessage, Mailer, Notifier
from application.ports.outbox import OutboxMessage
from domain.delivery import RetryPolicy

EMAIL = "email"
TELEGRAM = "telegram"

DEFAULT_TELEGRAM_RETRY = RetryPolicy(retries=12, delay=timedelta(seconds=30), backoff=2.0, max_delay=timedelta(hours=1))


@dataclass(frozen=True, slots=True)
class Dispatch:
    """What use cases call to queue a message: ``await uow.outbox.add(dispatch.email(...), now=...)``."""

    email_retry: RetryPolicy
    telegram_retry: RetryPolicy = DEFAULT_TELEGRAM_RETRY

    def email(self, to: str | Iterable[str], subject: str, body: str) -> OutboxMessage:
        recipients = (to,) if isinstance(to, str) else tuple(dict.fromkeys(to))
        message = EmailMessage(to=recipients, subject=subject, body=body)
        return OutboxMessage(kind=EMAIL, payload=message.as_payload(), retry=self.email_retry)

    def telegram(self, text: str) -> OutboxMessage:
        return OutboxMessage(kind=TELEGRAM, payload={"text": text}, retry=self.telegram_retry)

    @property
    def policies(self) -> dict[str, RetryPolicy]:
        return {EMAIL: self.email_retry, TELEGRAM: self.telegram_retry}


class EmailSender:
    def __init__(self, mailer: Mailer) -> None:
        self._mailer = mailer

    async def send(self, payload: Mapping[str, Any]) -> None:
        await self._mailer.send(EmailMessage.from_payload(payload))


class TelegramSender:
    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier

    async def send(self, payload: Mapping[str, Any]) -> None:
        await self._notifier.notify(str(payload["text"]))
