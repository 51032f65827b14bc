"""Fixtures for the attack, fault and limit tests: the app without its scheduler (these tests
drive the jobs themselves), and the circulation area's fakes (Stripe, Telegram) and live app,
reused as they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.settings import Settings
from tests.integration.circulation.conftest import (
    fake_stripe,
    fake_telegram,
    live_app,
    stripe_api,
    stripe_client,
    stripe_clock,
    stripe_container,
)
from tests.integration.conftest import make_settings

__all__ = [
    "fake_stripe",
    "fake_telegram",
    "live_app",
    "stripe_api",
    "stripe_client",
    "stripe_clock",
    "stripe_container",
]


@pytest.fixture
def settings(backend: str, database_urls: dict[str, str], tmp_path: Path) -> Settings:
    return make_settings(database_urls[backend], tmp_path, scheduler="off")
