"""Resolve each handler's dependencies one after another, the caller's identity first.

Litestar groups a handler's dependencies into batches (those whose own dependencies are
resolved) and runs a batch of more than one in an anyio task group, concurrently. Ours are a
use case built from the container, paging, and at most one database read (who the caller
is): there is nothing to overlap, and the task group (a task per dependency, cancel scopes)
was 17 % of the samples of ``GET /api/users/me`` under load. Concurrency also made the
answer to a request with two faults depend on timing: an anonymous ``?limit=101`` got 401
or 400 depending on which dependency failed first, and a failing sibling cancelled the
authentication query halfway.

Applied once to the built app. It reaches into Litestar's per-route ``KwargsModel``
(``litestar._kwargs``), which is not public API: :func:`resolve_sequentially` fails loudly
rather than silently doing nothing if that changes, and the test suite checks it is in
effect on every route.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute, WebSocketRoute

#: Resolved before the rest of their batch, in this order: a request that is both anonymous
#: and malformed is answered 401 (who are you?) before 400 (what did you mean?).
FIRST = ("access_token", "principal", "viewer")


def _rank(dependency: Any) -> tuple[int, str]:
    key: str = dependency.key
    return (FIRST.index(key) if key in FIRST else len(FIRST), key)


def _sequential(batches: list[set[Any]]) -> list[set[Any]]:
    return [{dependency} for batch in batches for dependency in sorted(batch, key=_rank)]


def resolve_sequentially(app: Litestar) -> int:
    """Turn every handler's dependency batches into batches of one; the number of handlers
    changed (those with more than one dependency in some batch)."""
    changed = 0
    for route in app.routes:
        models: list[Any] = []
        if isinstance(route, HTTPRoute):
            models = [model for _handler, model in route.route_handler_map.values()]
        elif isinstance(route, WebSocketRoute) and route.handler_parameter_model is not None:
            models = [route.handler_parameter_model]
        for model in models:
            batches = model.dependency_batches
            if not isinstance(batches, list):
                msg = f"Litestar's KwargsModel.dependency_batches changed shape ({type(batches).__name__})"
                raise TypeError(msg)
            if any(len(batch) > 1 for batch in batches):
                model.dependency_batches = _sequential(batches)
                changed += 1
    return changed
