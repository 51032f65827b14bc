"""The app over HTTP with a real SMTP server behind the outbox, and a clock the test moves.

A folder's ``conftest.py`` imports these fixtures; ``settings`` and ``container`` then
override the shared fixtures of the same name for the tests in that folder, and ``client``
and ``api`` pick them up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import outbox
from application.use_cases.outbox import DeliveryReport
from entrypoints.container import App, build_container
from entrypoints.settings import Settings
from tests.clock import MovableClock
from tests.integration.conftest import make_settings
from tests.integration.fakes.smtp_server import SmtpServer

MutableClock = MovableClock


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock()


@pytest.fixture
def mail_overrides() -> dict[str, Any]:
    """Extra settings; a test changes them with ``@pytest.mark.parametrize("mail_overrides", [{...}])``."""
    return {}


@pytest.fixture
def settings(
    backend: str,
    database_urls: dict[str, str],
    tmp_path: Path,
    smtp_server: SmtpServer,
    mail_overrides: dict[str, Any],
) -> Settings:
    values: dict[str, Any] = {
        "smtp_host": smtp_server.host,
        "smtp_port": smtp_server.port,
        "smtp_starttls": False,
        "mail_from": "Athenaeum <noreply@athenaeum.test>",
    }
    return make_settings(database_urls[backend], tmp_path, **(values | mail_overrides))


@pytest.fixture
def container(settings: Settings, engine: AsyncEngine, clock: MutableClock) -> App:
    c = build_container(settings)
    c.gateways.engine.override(providers.Object(engine))
    c.gateways.clock.override(providers.Object(clock))
    return c


async def send_outbox(container: App) -> DeliveryReport:
    """What the ``send_outbox`` job does, once, now."""
    report: DeliveryReport = await container.delivery.deliver_outbox()()
    return report


async def outbox_rows(container: App) -> list[tuple[str, int, str | None]]:
    async with container.gateways.engine().connect() as conn:
        rows = (
            await conn.execute(select(outbox.c.status, outbox.c.attempts, outbox.c.last_error).order_by(outbox.c.id))
        ).all()
    return [(row.status, row.attempts, row.last_error) for row in rows]
