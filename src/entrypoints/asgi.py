"""The ASGI application served by ``athenaeum serve`` (uvicorn's factory target)."""

from __future__ import annotations

from typing import Any

from entrypoints.container import App, build_container
from entrypoints.http.app import create_app
from entrypoints.logging import configure_logging
from entrypoints.scheduler.service import SchedulerService
from entrypoints.settings import Settings, load_settings


def compose(container: App) -> Any:
    """The whole service for ``container``: HTTP, and the jobs unless ``SCHEDULER=off``."""
    settings = container.settings()
    services = [SchedulerService(container)] if settings.scheduler == "on" else []
    return create_app(container, services=services)


def create_asgi_app(settings: Settings | None = None) -> Any:
    settings = settings or load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return compose(build_container(settings))
