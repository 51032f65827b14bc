"""Operations: liveness and readiness."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State

from entrypoints.http.deps import container_of


@get("/health", tags=["Operations"], operation_id="Health", summary="The process is up", include_in_schema=True)
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", tags=["Operations"], operation_id="Ready", summary="The database answers (else 503)")
async def ready(state: State) -> Response[dict[str, str]]:
    ok = await container_of(state).gateways.health().ready()
    if ok:
        return Response({"status": "ready"}, status_code=200)
    return Response({"status": "unavailable", "detail": "the database does not answer"}, status_code=503)
