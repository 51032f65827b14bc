"""The ASGI application served by ``athenaeum serve`` (uvicorn's factory target):
Socket.IO at ``/socket.io`` in front of the Litestar HTTP app, in one process."""

from __future__ import annotations

from typing import Any

import socketio
import structlog

from entrypoints.container import App, build_container, serve_realtime_with
from entrypoints.gc_tuning import tune_garbage_collector
from entrypoints.http.app import Service, create_app
from entrypoints.logging import configure_logging
from entrypoints.memory import return_large_blocks_to_the_os
from entrypoints.metrics import forget_this_process
from entrypoints.scheduler.service import SchedulerService
from entrypoints.settings import Settings, load_settings
from entrypoints.socketio import handlers
from entrypoints.socketio.server import SocketIOService, build_server

SOCKETIO_PATH = "socket.io"

log = structlog.get_logger("athenaeum.socketio")


class MetricsService:
    """In prometheus_client's multiprocess mode, a stopping worker takes its live gauges along."""

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        forget_this_process()


def compose(container: App, *, services: list[Service] | None = None) -> Any:
    """The whole service for ``container``: Socket.IO, HTTP, and the jobs unless
    ``SCHEDULER=off``. ``services`` run beside them (tests add their own).

    Socket.IO wraps the HTTP app and hands it every other request and the lifespan events,
    so Litestar's startup and shutdown (the services, the connection pools) still run; that
    holds only while no ``on_startup``/``on_shutdown`` is given to ``socketio.ASGIApp``.
    """
    settings = container.settings()
    if settings.workers > 1 and not settings.redis_url:
        log.warning(
            "several workers without ATHENAEUM_REDIS_URL: a chat message reaches only the clients of the "
            "worker that handled it; set REDIS_URL (and have clients use the websocket transport or "
            "sticky sessions)"
        )
    sio = build_server(settings)
    serve_realtime_with(container, sio)
    handlers.register(sio, container)
    running: list[Service] = [SocketIOService(sio), MetricsService(), *(services or [])]
    if settings.scheduler == "on":
        running.append(SchedulerService(container))
    http = create_app(container, services=running)
    return socketio.ASGIApp(sio, other_asgi_app=http, socketio_path=SOCKETIO_PATH)


def create_asgi_app(settings: Settings | None = None) -> Any:
    """uvicorn's factory: runs in every worker process."""
    return_large_blocks_to_the_os()
    settings = settings or load_settings()
    configure_logging(settings.log_level, settings.log_format)
    app = compose(build_container(settings))
    tune_garbage_collector(settings.gc_threshold)
    return app
