from __future__ import annotations

import pytest

from entrypoints.container import App
from tests.integration.catalog_support import MovableClock, use_clock
from tests.integration.support import Account, Api


@pytest.fixture
def clock(container: App) -> MovableClock:
    return use_clock(container, MovableClock())


@pytest.fixture
async def ada(api: Api) -> Account:
    return await api.user()


@pytest.fixture
async def bob(api: Api) -> Account:
    return await api.user()
