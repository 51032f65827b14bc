"""Operations: liveness and readiness."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, get

from application.messages import EMAIL, TELEGRAM
from entrypoints.http.deps import container_of


@get("/health", tags=["Operations"], operation_id="Health", summary="The process is up", include_in_schema=True)
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", tags=["Operations"], operation_id="Ready", summary="The database answers (else 503)")
async def ready(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    ok = await container_of(request).gateways.health().ready()
    if ok:
        return Response({"status": "ready"}, status_code=200)
    return Response({"status": "unavailable", "detail": "the database does not answer"}, status_code=503)


@get(
    "/metrics",
    tags=["Operations"],
    operation_id="Metrics",
    summary="Prometheus metrics of this process",
    media_type=MediaType.TEXT,
    description="Requests and latencies by route, job runs, outbox depth and age, Socket.IO connections.",
)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    container = container_of(request)
    registry = container.gateways.metrics()
    try:
        stats = await container.delivery.outbox_stats()()
    except Exception:  # noqa: BLE001 - metrics still answer when the database does not
        registry.outbox_failed.set(float("nan"))
    else:
        registry.outbox_pending.clear()
        for kind in {EMAIL, TELEGRAM, *stats.by_kind}:  # a kind with nothing waiting shows 0
            registry.outbox_pending.labels(kind=kind).set(stats.by_kind.get(kind, 0))
        registry.outbox_failed.set(stats.failed)
        registry.outbox_oldest_age.set(stats.oldest_pending_age_seconds)
    return Response(registry.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
