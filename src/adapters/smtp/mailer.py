"""The ``Mailer`` port over SMTP with aiosmtplib.

One connection per message: the outbox job sends a few messages every couple of seconds,
so a pool would buy little and cost reconnect logic. Any SMTP or network error becomes
``DeliveryFailed``; the outbox decides whether to try again.
"""

from __future__ import annotations

import email.message
from email.utils import formatdate, make_msgid, parseaddr

import aiosmtplib
import structlog

from application.ports.notifications import DeliveryFailed, EmailMessage

log = structlog.get_logger("athenaeum.smtp")

IMPLICIT_TLS_PORT = 465


class SmtpMailer:
    """``starttls=True`` requires STARTTLS (the server must offer it); port 465 speaks TLS
    from the first byte instead. Credentials are used only when a username is set."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout: float = 30.0,
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password = username or None, password
        self._implicit_tls = port == IMPLICIT_TLS_PORT
        self._starttls = starttls and not self._implicit_tls
        self._timeout = timeout
        self._domain = parseaddr(sender)[1].rpartition("@")[2] or "athenaeum.local"

    def build(self, message: EmailMessage) -> email.message.EmailMessage:
        """A plain-text UTF-8 message with the headers mail servers expect."""
        mime = email.message.EmailMessage()
        mime["From"] = self._sender
        mime["To"] = ", ".join(message.to)
        mime["Subject"] = " ".join(message.subject.split())  # one line, whatever the caller gave
        mime["Date"] = formatdate(usegmt=True)
        mime["Message-ID"] = make_msgid(domain=self._domain)
        mime.set_content(message.body)
        return mime

    async def send(self, message: EmailMessage) -> None:
        try:
            mime = self.build(message)
            refused, _ = await aiosmtplib.send(
                mime,
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password if self._username else None,
                start_tls=self._starttls,
                use_tls=self._implicit_tls,
                timeout=self._timeout,
            )
        except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
            raise DeliveryFailed(f"SMTP {self._host}:{self._port}: {type(exc).__name__}: {exc}") from exc
        if refused:
            # Some recipients were accepted: trying again would send them a second copy.
            log.warning("smtp refused some recipients", refused={k: str(v) for k, v in refused.items()})
