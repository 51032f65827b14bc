"""The request middleware, around a stub app: what operators rely on (request ids in the
response and the logs, one access line per request at ``info``, the metrics per route)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from prometheus_client import generate_latest
from structlog.testing import capture_logs

from entrypoints.http.middleware import request_id_middleware
from entrypoints.logging import configure_logging
from entrypoints.metrics import Metrics


async def _stub(scope: Any, receive: Any, send: Any) -> None:
    scope["path_template"] = "/api/books/{book_id:int}"
    status = 404 if scope["path"].endswith("/0") else 200
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b"{}"})


async def _call(app: Any, path: str = "/api/books/1", headers: list[tuple[bytes, bytes]] | None = None) -> dict:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "headers": headers or []}
    await app(scope, receive, send)
    return dict(sent[0]["headers"])


@pytest.fixture
def logging_at() -> Iterator[Any]:
    """``configure_logging`` at a level for this test; the configuration before it comes back after."""
    before = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield configure_logging
    structlog.configure(**before)
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_every_response_carries_a_request_id_the_client_may_choose(logging_at: Any) -> None:
    logging_at("warning")
    app = request_id_middleware(_stub, Metrics())
    first, second = (await _call(app))[b"x-request-id"], (await _call(app))[b"x-request-id"]
    assert re.fullmatch(rb"[0-9a-f]{32}", first)
    assert first != second
    chosen = await _call(app, headers=[(b"x-request-id", b"trace-42-abc")])
    assert chosen[b"x-request-id"] == b"trace-42-abc"
    refused = await _call(app, headers=[(b"x-request-id", b"no spaces; or <tags>")])
    assert re.fullmatch(rb"[0-9a-f]{32}", refused[b"x-request-id"])


async def test_one_access_line_per_request_at_info_and_none_at_warning(logging_at: Any) -> None:
    logging_at("info")
    with capture_logs() as lines:
        await _call(request_id_middleware(_stub, Metrics()), "/api/books/0")
    access = [line for line in lines if line["event"] == "request"]
    assert len(access) == 1
    assert access[0]["status"] == 404
    assert access[0]["path"] == "/api/books/0"

    logging_at("warning")
    with capture_logs() as lines:
        await _call(request_id_middleware(_stub, Metrics()))
    assert [line for line in lines if line["event"] == "request"] == []


async def test_metrics_count_each_request_under_its_route_and_status(logging_at: Any) -> None:
    logging_at("warning")
    metrics = Metrics()
    app = request_id_middleware(_stub, metrics)
    for path in ("/api/books/1", "/api/books/2", "/api/books/3", "/api/books/0"):
        await _call(app, path)
    body = generate_latest(metrics.registry).decode()
    route = 'method="GET",route="/api/books/{book_id:int}"'
    assert f'athenaeum_http_requests_total{{{route},status="200"}} 3.0' in body
    assert f'athenaeum_http_requests_total{{{route},status="404"}} 1.0' in body
    assert f"athenaeum_http_request_duration_seconds_count{{{route}}} 4.0" in body
