"""Dependencies are resolved one after another, the caller's identity first (see
``entrypoints.http.dependency_order``): a request that is anonymous *and* malformed is
always answered as anonymous."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from tests.integration.support import Api

#: Collections that need a signed-in caller and take ``limit``.
SIGNED_IN_PAGES = ["/api/borrowings", "/api/payments", "/api/holds", "/api/reading-sessions", "/api/tasks"]


def test_every_route_resolves_one_dependency_at_a_time(client: AsyncTestClient[Any]) -> None:
    models = [
        model
        for route in client.app.routes
        if isinstance(route, HTTPRoute)
        for _h, model in route.route_handler_map.values()
    ]
    several = [model for model in models if sum(len(batch) for batch in model.dependency_batches) > 1]
    assert len(several) > 20, "most handlers take a use case and the caller: the check below would be empty"
    assert all(len(batch) == 1 for model in models for batch in model.dependency_batches)


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
async def test_anonymous_and_malformed_is_refused_as_anonymous(api: Api, path: str) -> None:
    for _ in range(5):
        response = await api.client.get(path, params={"limit": 101})
        assert response.status_code == 401, response.text


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
async def test_signed_in_and_malformed_is_a_400_naming_the_parameter(api: Api, path: str) -> None:
    ada = await api.user()
    response = await api.client.get(path, params={"limit": 101}, headers=ada.headers)
    assert response.status_code == 400, response.text
    assert "limit" in response.text
