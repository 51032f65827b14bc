from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import structlog

from application.ports.notifications import EmailMessage

log = structlog.get_logger("athenaeum.notifications")


class LoggingMailer:
    """Logs every email instead of sending it (no ``SMTP_HOST`` configured)."""

    async def send(self, message: EmailMessage) -> None:
        log.info(
            "email (not sent: no SMTP host configured)", to=list(message.to), subject=message.subject, body=message.body
        )


class LoggingNotifier:
    """Logs staff notices instead of posting them (no ``TELEGRAM_BOT_TOKEN`` configured)."""

    async def notify(self, text: str) -> None:
        log.info("telegram notice (not sent: no bot token configured)", text=text)


class LoggingEventPublisher:
    """Logs realtime events at debug level (no Socket.IO server in this process)."""

    async def to_users(
        self,
        user_ids: Iterable[int],
        event: str,
        payload: Mapping[str, Any],
        *,
        skip_connection: str | None = None,
    ) -> None:
        log.debug("realtime event", users=list(user_ids), event_name=event, payload=dict(payload), skip=skip_connection)

    async def to_room(
        self, room: str, event: str, payload: Mapping[str, Any], *, skip_connection: str | None = None
    ) -> None:
        log.debug("realtime event", room=room, event_name=event, payload=dict(payload), skip=skip_connection)
