"""SmtpMailer against a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import pytest

from adapters.smtp.mailer import SmtpMailer
from application.ports.notifications import DeliveryFailed, EmailMessage
from tests.integration.fakes.smtp_server import SmtpServer, closed_port

SENDER = "Athenaeum <noreply@athenaeum.test>"


def mailer_for(server: SmtpServer, **options: object) -> SmtpMailer:
    return SmtpMailer(host=server.host, port=server.port, sender=SENDER, starttls=False, timeout=5, **options)  # type: ignore[arg-type]


async def test_a_message_arrives_with_its_headers_and_an_utf8_body(smtp_server: SmtpServer) -> None:
    message = EmailMessage(to=("ada@example.org", "bob@example.org"), subject="Ünïcode\nsubject", body="Grüße,\nÅda\n")
    await mailer_for(smtp_server).send(message)

    [mail] = smtp_server.received
    assert mail.mail_from == "noreply@athenaeum.test"
    assert mail.recipients == ["ada@example.org", "bob@example.org"]
    assert mail.subject == "Ünïcode subject", "a subject is one line, whatever the caller gave"
    assert mail.header("From") == SENDER
    assert mail.header("To") == "ada@example.org, bob@example.org"
    assert mail.header("Date")
    assert (mail.header("Message-ID") or "").endswith("@athenaeum.test>")
    assert mail.body == "Grüße,\nÅda\n"


async def test_a_refused_message_is_a_delivery_failure(smtp_server: SmtpServer) -> None:
    smtp_server.refuse_next(1)
    with pytest.raises(DeliveryFailed, match="451"):
        await mailer_for(smtp_server).send(EmailMessage(to=("ada@example.org",), subject="S", body="B"))
    assert smtp_server.received == []


async def test_a_refused_recipient_is_a_delivery_failure(smtp_server: SmtpServer) -> None:
    smtp_server.refuse_next(1, at="RCPT")
    with pytest.raises(DeliveryFailed):
        await mailer_for(smtp_server).send(EmailMessage(to=("ada@example.org",), subject="S", body="B"))


async def test_an_unreachable_server_is_a_delivery_failure() -> None:
    mailer = SmtpMailer(host="127.0.0.1", port=closed_port(), sender=SENDER, starttls=False, timeout=2)
    with pytest.raises(DeliveryFailed, match=r"127\.0\.0\.1"):
        await mailer.send(EmailMessage(to=("ada@example.org",), subject="S", body="B"))


async def test_starttls_is_required_when_configured(smtp_server: SmtpServer) -> None:
    """The local server offers no STARTTLS: a mailer told to use it refuses to send in clear."""
    mailer = SmtpMailer(host=smtp_server.host, port=smtp_server.port, sender=SENDER, starttls=True, timeout=5)
    with pytest.raises(DeliveryFailed):
        await mailer.send(EmailMessage(to=("ada@example.org",), subject="S", body="B"))
    assert smtp_server.received == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS", "ignore:Session.login_data is deprecated")
async def test_credentials_are_used_when_a_username_is_set(smtp_server_with_auth: SmtpServer) -> None:
    server = smtp_server_with_auth
    await mailer_for(server, username="mailer", password="s3cret").send(
        EmailMessage(to=("ada@example.org",), subject="S", body="B")
    )
    assert server.handler.logins == [("mailer", "s3cret")]
    assert len(server.received) == 1

    with pytest.raises(DeliveryFailed):
        await mailer_for(server, username="mailer", password="wrong").send(
            EmailMessage(to=("ada@example.org",), subject="S", body="B")
        )
    with pytest.raises(DeliveryFailed):
        await mailer_for(server).send(EmailMessage(to=("ada@example.org",), subject="S", body="B"))
    assert len(server.received) == 1
