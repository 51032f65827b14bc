"""The Litestar application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol
from urllib.parse import parse_qsl

from litestar import Litestar, Request
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.exceptions import ClientException, HTTPException, SerializationException, ValidationException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Server

from entrypoints.container import App, close_gateways
from entrypoints.http.admin import admin_mount
from entrypoints.http.controllers.auth import AuthController
from entrypoints.http.controllers.books import BooksController
from entrypoints.http.controllers.chat import ChatController
from entrypoints.http.controllers.circulation import BorrowingsController
from entrypoints.http.controllers.email_change import EmailChangeController
from entrypoints.http.controllers.events import EventsController
from entrypoints.http.controllers.focus import (
    AchievementsController,
    FocusCategoriesController,
    FocusSessionsController,
    StatsController,
)
from entrypoints.http.controllers.holds import HoldsController
from entrypoints.http.controllers.media import AvatarController, UploadsController, media_router
from entrypoints.http.controllers.music import MusicController
from entrypoints.http.controllers.ops import health, metrics, ready
from entrypoints.http.controllers.organizations import OrganizationsController
from entrypoints.http.controllers.payments import PaymentsController, PremiumController, SandboxCheckoutController
from entrypoints.http.controllers.reading import BookReadingController, ReadingSessionsController
from entrypoints.http.controllers.tasks import TasksController
from entrypoints.http.controllers.users import MeController, UsersController
from entrypoints.http.dependency_order import resolve_sequentially
from entrypoints.http.deps import COMMON
from entrypoints.http.errors import exception_handlers
from entrypoints.http.middleware import request_id_middleware
from entrypoints.http.problems_openapi import ClosedStructs, ProblemResponses

API_DESCRIPTION = """\
One backend for a library and its reading community.

* Collections answer `{items, total, limit, offset}`; `limit` is 1 to 100 (default 20).
* Errors are RFC 9457 problem details (`application/problem+json`); invalid input lists
  the offending fields under `errors`.
* Authenticate with `Authorization: Bearer <access token>` from `POST /api/auth/login`
  (the header name is configurable with `ATHENAEUM_AUTH_HEADER`).
"""

ROUTES: list[Any] = [health, ready, metrics, AuthController, MeController, UsersController]
ROUTES += [TasksController, EmailChangeController]  # tasks and email change
ROUTES += [BooksController, BookReadingController, ReadingSessionsController]
ROUTES += [ChatController]
ROUTES += [FocusCategoriesController, FocusSessionsController, AchievementsController, StatsController, MusicController]
ROUTES += [BorrowingsController, HoldsController, PaymentsController, PremiumController, SandboxCheckoutController]
ROUTES += [OrganizationsController, EventsController, UploadsController, AvatarController]


def _configured_routes(container: App) -> list[Any]:
    """Routes built from the configuration: ``/media/`` (MEDIA_DIR) and the admin UI at ``/admin``."""
    return [media_router(container.settings().media_dir), admin_mount(container.admin_ui())]


JSON_TYPES = ("application/json", "multipart/form-data")


def _openapi(auth_header: str) -> OpenAPIConfig:
    if auth_header.lower() == "authorization":
        scheme = SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
    else:
        scheme = SecurityScheme(
            type="apiKey",
            name=auth_header,
            security_scheme_in="header",
            description="`Bearer <access token>` in this header.",
        )
    return OpenAPIConfig(
        title="Athenaeum API",
        version="1.0.0",
        description=API_DESCRIPTION,
        path="/schema",
        render_plugins=[SwaggerRenderPlugin(), RedocRenderPlugin()],
        components=Components(security_schemes={"BearerAuth": scheme}),
        servers=[Server(url="/")],
        use_handler_docstrings=True,
    )


async def _require_json(request: Request[Any, Any, Any]) -> None:
    """Bodies are JSON, or multipart for uploads: anything else is a 415. NUL characters in
    the query string are refused here once (no database stores them).

    A JSON body is decoded here, once (handlers reuse the result), so that every way it can
    fail is a 400: msgspec raises ``UnicodeDecodeError`` for invalid UTF-8 inside strings and
    ``RecursionError`` for deep nesting, which Litestar would let through as a 500.
    """
    query = request.scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        names = sorted(
            {name for name, raw in parse_qsl(query.decode("latin-1"), keep_blank_values=True) if "\x00" in raw}
        )
        raise ValidationException(
            detail="The query string contains a NUL character.",
            extra=[{"key": name, "message": "NUL characters are not allowed.", "source": "query"} for name in names],
        )
    if request.method in {"POST", "PUT", "PATCH"}:
        length = request.headers.get("content-length")
        has_body = (length is not None and length != "0") or "transfer-encoding" in request.headers
        if has_body and not request.content_type[0].startswith(JSON_TYPES):
            raise HTTPException(
                status_code=415,
                detail=f"Send application/json (or multipart/form-data for uploads), not {request.content_type[0]}.",
            )
        if has_body and request.content_type[0] == "application/json":
            try:
                await request.json()
            except SerializationException as exc:
                raise ClientException(detail=str(exc)) from exc
            except UnicodeDecodeError as exc:
                raise ClientException(detail="The body is not valid UTF-8.") from exc
            except RecursionError as exc:
                raise ClientException(detail="The JSON body is nested too deeply.") from exc


class Service(Protocol):
    """Something that runs beside the HTTP app for its lifetime (the scheduler)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def create_app(
    container: App, *, extra_routes: list[Any] | None = None, services: list[Service] | None = None
) -> Litestar:
    """Build the HTTP app on ``container``; its services and pools live as long as the app."""
    settings = container.settings()

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        started: list[Service] = []
        try:
            for service in services or []:
                await service.start()
                started.append(service)
            yield
        finally:
            for service in reversed(started):
                await service.stop()
            await close_gateways(container)

    cors = CORSConfig(allow_origins=settings.cors_origins, allow_credentials=False) if settings.cors_origins else None
    app = Litestar(
        route_handlers=[*ROUTES, *_configured_routes(container), *(extra_routes or [])],
        dependencies=COMMON,
        exception_handlers=exception_handlers,
        lifespan=[lifespan],
        middleware=[DefineMiddleware(request_id_middleware, metrics=container.gateways.metrics())],
        before_request=_require_json,
        openapi_config=_openapi(settings.auth_header),
        plugins=[ProblemResponses(), ClosedStructs()],
        cors_config=cors,
        request_max_body_size=settings.max_body_bytes,
        state=State(
            {
                "container": container,
                "auth_header": settings.auth_header,
                "auth_rate_limit": settings.auth_rate_limit_per_minute,
            }
        ),
        debug=False,
        logging_config=None,
    )
    resolve_sequentially(app)
    return app
