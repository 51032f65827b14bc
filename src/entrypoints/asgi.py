"""The ASGI application served by ``athenaeum serve`` (uvicorn's factory target)."""

from __future__ import annotations

from typing import Any

from entrypoints.container import App, build_container
from entrypoints.http.app import create_app
from entrypoints.logging import configure_logging
from entrypoints.settings import Settings, load_settings


def compose(container: App) -> Any:
    """HTTP app for ``container`` (Socket.IO and the scheduler join it here)."""
    return create_app(container)


def create_asgi_app(settings: Settings | None = None) -> Any:
    settings = settings or load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return compose(build_container(settings))
