"""Fixtures for circulation: a fake Stripe and a fake Telegram on local ports, and an app
wired to them (the real SDK and the real notifier, only the peers are fakes)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.stripe.gateway import StripePaymentGateway
from entrypoints.container import App, build_container
from entrypoints.http.app import create_app
from tests.integration.circulation.support import WEBHOOK_SECRET, MutableClock
from tests.integration.conftest import make_settings
from tests.integration.fakes.stripe_server import FakeStripe, running_fake_stripe
from tests.integration.fakes.telegram_server import TOKEN, FakeTelegram, running_fake_telegram
from tests.integration.support import Api

BASE_URL = "http://testserver.local"


@pytest.fixture
def clock(container: App) -> MutableClock:
    """The sandbox app's clock, moved by the test."""
    moving = MutableClock()
    container.gateways.clock.override(providers.Object(moving))
    return moving


@pytest.fixture
async def fake_stripe() -> AsyncIterator[FakeStripe]:
    async with running_fake_stripe() as fake:
        yield fake


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    async with running_fake_telegram() as fake:
        yield fake


@pytest.fixture
def stripe_clock() -> MutableClock:
    return MutableClock()


@pytest.fixture
def stripe_container(
    backend: str,
    database_urls: dict[str, str],
    tmp_path: Path,
    engine: AsyncEngine,
    fake_stripe: FakeStripe,
    fake_telegram: FakeTelegram,
    stripe_clock: MutableClock,
) -> App:
    """An app configured for real Stripe and Telegram, pointed at the local fakes."""
    settings = make_settings(
        database_urls[backend],
        tmp_path,
        stripe_secret_key="sk_test_athenaeum",
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=fake_stripe.url,
        telegram_bot_token=TOKEN,
        telegram_chat_id="-100200300",
        telegram_api_base=fake_telegram.url,
        public_base_url=BASE_URL,
    )
    c = build_container(settings)
    c.gateways.engine.override(providers.Object(engine))
    c.gateways.clock.override(providers.Object(stripe_clock))
    # The configured gateway, with a short timeout and no SDK retries so that fault tests are quick.
    c.gateways.stripe_payments.override(
        providers.Singleton(
            StripePaymentGateway,
            secret_key="sk_test_athenaeum",
            public_base_url=BASE_URL,
            clock=c.gateways.clock,
            webhook_secret=WEBHOOK_SECRET,
            api_base=fake_stripe.url,
            timeout=0.5,
            max_network_retries=0,
        )
    )
    return c


@pytest.fixture
async def stripe_client(stripe_container: App) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(create_app(stripe_container), base_url=BASE_URL) as test_client:
        yield test_client


@pytest.fixture
def stripe_api(stripe_client: AsyncTestClient[Any], stripe_container: App) -> Api:
    return Api(stripe_client, stripe_container)
