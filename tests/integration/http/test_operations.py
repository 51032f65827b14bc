"""Operations endpoints: readiness follows the database; metrics show the outbox at scrape time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from litestar.testing import AsyncTestClient

from application.messages import Dispatch
from domain.delivery import RetryPolicy
from entrypoints.container import build_container, close_gateways
from entrypoints.http.app import create_app
from tests.integration.conftest import make_settings
from tests.integration.fakes.smtp_server import closed_port
from tests.integration.support import Api

DISPATCH = Dispatch(email_retry=RetryPolicy(retries=3, delay=timedelta(seconds=300)))


def sample(body: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", body, re.MULTILINE)
    assert match, f"{name} not in the metrics"
    return float(match.group(1))


async def test_readiness_fails_while_the_database_does_not_answer(tmp_path: Path) -> None:
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/athenaeum"
    container = build_container(make_settings(nowhere, tmp_path))
    try:
        async with AsyncTestClient(create_app(container)) as client:
            ready = await client.get("/ready")
            assert ready.status_code == 503
            assert ready.json()["status"] == "unavailable"
            assert (await client.get("/health")).status_code == 200  # alive, just not ready
            assert (await client.get("/metrics")).status_code == 200  # and still observable
    finally:
        await close_gateways(container)


async def test_metrics_show_the_outbox_depth_and_the_age_of_its_oldest_message(api: Api) -> None:
    body = (await api.client.get("/metrics")).text
    assert sample(body, 'athenaeum_outbox_pending{kind="email"}') == 0
    assert sample(body, "athenaeum_outbox_oldest_pending_age_seconds") == 0

    async with api.container.gateways.uow() as uow:
        long_ago = datetime.now(UTC) - timedelta(minutes=10)
        await uow.outbox.add(DISPATCH.email("a@example.org", "first", "…"), now=long_ago)
        await uow.outbox.add(DISPATCH.email("b@example.org", "second", "…"), now=datetime.now(UTC))
        await uow.outbox.add(DISPATCH.telegram("a notice"), now=datetime.now(UTC))
        await uow.commit()

    body = (await api.client.get("/metrics")).text
    assert sample(body, 'athenaeum_outbox_pending{kind="email"}') == 2
    assert sample(body, 'athenaeum_outbox_pending{kind="telegram"}') == 1
    assert 600 <= sample(body, "athenaeum_outbox_oldest_pending_age_seconds") < 700
