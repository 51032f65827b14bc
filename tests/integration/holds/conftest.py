"""Holds and the overdue digest: the app with a real SMTP server and a fake Telegram Bot API
behind the outbox, and a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from entrypoints.settings import Settings
from tests.integration.circulation.conftest import live_app  # noqa: F401
from tests.integration.conftest import make_settings
from tests.integration.fakes.mail_app import clock, container  # noqa: F401
from tests.integration.fakes.smtp_server import SmtpServer, smtp_server, smtp_server_process  # noqa: F401
from tests.integration.fakes.telegram_server import TOKEN, FakeTelegram, running_fake_telegram

CHAT = "-100200300"


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    with running_fake_telegram() as fake:
        yield fake


@pytest.fixture
def settings(
    backend: str,
    database_urls: dict[str, str],
    tmp_path: Path,
    smtp_server_process: SmtpServer,  # noqa: F811 - the fixture imported above
    fake_telegram: FakeTelegram,
) -> Settings:
    values: dict[str, Any] = {
        "smtp_host": smtp_server_process.host,
        "smtp_port": smtp_server_process.port,
        "smtp_starttls": False,
        "mail_from": "Athenaeum <noreply@athenaeum.test>",
        "telegram_bot_token": TOKEN,
        "telegram_chat_id": CHAT,
        "telegram_api_base": fake_telegram.url,
    }
    return make_settings(database_urls[backend], tmp_path, **values)
