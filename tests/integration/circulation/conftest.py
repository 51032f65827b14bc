"""Fixtures for circulation: a fake Stripe and a fake Telegram on local ports, and an app
wired to them (the real SDK and the real notifier, only the peers are fakes)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
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
from tests.integration.fakes.threaded import uvicorn_in_thread
from tests.integration.support import Api

BASE_URL = "http://testserver.local"


@pytest.fixture
def clock(container: App) -> MutableClock:
    """The sandbox app's clock, moved by the test."""
    moving = MutableClock()
    container.gateways.clock.override(providers.Object(moving))
    return moving


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    with running_fake_stripe() as fake:
        yield fake


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    with running_fake_telegram() as fake:
        yield fake


@pytest.fixture
def stripe_clock() -> MutableClock:
    return MutableClock()


def stripe_settings(fake_stripe: FakeStripe, fake_telegram: FakeTelegram) -> dict[str, Any]:
    """Settings for real Stripe and Telegram, pointed at the local fakes."""
    return {
        "stripe_secret_key": "sk_test_athenaeum",
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_api_base": fake_stripe.url,
        "telegram_bot_token": TOKEN,
        "telegram_chat_id": "-100200300",
        "telegram_api_base": fake_telegram.url,
        "public_base_url": BASE_URL,
    }


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
    url = database_urls[backend]
    settings = make_settings(url, tmp_path, **stripe_settings(fake_stripe, fake_telegram))
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


LiveApp = Callable[..., AbstractAsyncContextManager[Api]]


@pytest.fixture
def live_app(backend: str, database_urls: dict[str, str], tmp_path: Path, engine: AsyncEngine) -> LiveApp:
    """``async with live_app(**settings) as api``: the app served for real by uvicorn on its own
    thread and loop, with its own engine and pool (10 + 10 connections), so that concurrent
    requests really run at once. ``engine`` (the test's) has emptied the tables."""

    @asynccontextmanager
    async def serve(**overrides: Any) -> AsyncIterator[Api]:
        settings = make_settings(database_urls[backend], tmp_path, **overrides)
        container = build_container(settings)
        async with (
            uvicorn_in_thread(create_app(container)) as url,
            httpx.AsyncClient(base_url=url, timeout=60) as client,
        ):
            yield Api(client, container)  # type: ignore[arg-type]

    return serve
