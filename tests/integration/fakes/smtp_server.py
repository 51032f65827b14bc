"""A real SMTP server (aiosmtpd) on a free local port that records what it accepts.

It can refuse: ``refuse_next(n, at="DATA")`` answers ``451 try later`` to the next ``n``
DATA (or RCPT) commands, ``refuse_always()`` to all of them, as a mail server having a bad
day would.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Literal

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

REFUSAL = "451 4.3.0 try later"


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return str(self.message.get_content()).replace("\r\n", "\n")

    def header(self, name: str) -> str | None:
        value = self.message[name]
        return None if value is None else str(value)


class RecordingHandler:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received: list[ReceivedMail] = []
        self.refusals_left = 0
        self.refuse_at: Literal["DATA", "RCPT"] = "DATA"
        self.attempts = 0  # DATA commands seen (accepted or refused)
        self.logins: list[tuple[str, str]] = []

    def _refuse(self, command: str) -> bool:
        with self._lock:
            if command != self.refuse_at or self.refusals_left == 0:
                return False
            if self.refusals_left > 0:
                self.refusals_left -= 1
            return True

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:  # noqa: N802
        if self._refuse("RCPT"):
            return REFUSAL
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self._lock:
            self.attempts += 1
        if self._refuse("DATA"):
            return REFUSAL
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.received.append(
                ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message)  # type: ignore[arg-type]
            )
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword):
            login, password = data.login.decode(), data.password.decode()
            self.logins.append((login, password))
            return AuthResult(success=login == "mailer" and password == "s3cret", handled=False)
        return AuthResult(success=False, handled=False)


class SmtpServer:
    def __init__(self, handler: RecordingHandler, host: str, port: int) -> None:
        self.handler, self.host, self.port = handler, host, port

    @property
    def received(self) -> list[ReceivedMail]:
        return list(self.handler.received)

    @property
    def attempts(self) -> int:
        return self.handler.attempts

    def to(self, address: str) -> list[ReceivedMail]:
        return [mail for mail in self.received if address in mail.recipients]

    def refuse_next(self, count: int, *, at: Literal["DATA", "RCPT"] = "DATA") -> None:
        self.handler.refuse_at, self.handler.refusals_left = at, count

    def refuse_always(self, *, at: Literal["DATA", "RCPT"] = "DATA") -> None:
        self.handler.refuse_at, self.handler.refusals_left = at, -1

    def accept(self) -> None:
        self.handler.refusals_left = 0

    def reset(self) -> None:
        """Forget what was received and accept again (between tests)."""
        handler = self.handler
        with handler._lock:
            handler.received.clear()
            handler.logins.clear()
            handler.refusals_left = 0
            handler.attempts = 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_port() -> int:
    """A local port where nobody listens (connections are refused)."""
    return free_port()


def run_smtp_server(*, with_auth: bool = False) -> Iterator[SmtpServer]:
    handler = RecordingHandler()
    port = free_port()
    options: dict[str, Any] = {}
    if with_auth:
        options = {"auth_required": True, "auth_require_tls": False, "authenticator": handler.authenticate}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
    try:
        yield SmtpServer(handler, "127.0.0.1", port)
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def smtp_server_process() -> Iterator[SmtpServer]:
    yield from run_smtp_server()


@pytest.fixture
def smtp_server(smtp_server_process: SmtpServer) -> SmtpServer:
    """An SMTP server without authentication, empty and accepting at the start of each test."""
    smtp_server_process.reset()
    return smtp_server_process


@pytest.fixture
def smtp_server_with_auth() -> Iterator[SmtpServer]:
    """An SMTP server that requires ``mailer`` / ``s3cret`` (over plain text: a test only)."""
    yield from run_smtp_server(with_auth=True)
