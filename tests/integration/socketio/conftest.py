"""A real server on a local port (uvicorn in this event loop) and real Socket.IO clients."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio
import uvicorn
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import organization_members, organizations
from entrypoints.asgi import compose
from entrypoints.container import App
from entrypoints.http.app import Service
from entrypoints.settings import Settings
from tests.integration.conftest import make_settings
from tests.integration.support import PASSWORD

_names = itertools.count(1)


@dataclass
class Person:
    id: int
    username: str
    access: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


@dataclass
class LiveServer:
    """The composed app (Socket.IO + HTTP) served by uvicorn on 127.0.0.1:<port>."""

    url: str
    container: App
    http: httpx.AsyncClient
    chatters: list[Chatter] = field(default_factory=list)

    async def person(self, username: str | None = None) -> Person:
        username = username or f"chatter{next(_names)}"
        email = f"{username}@example.org"
        response = await self.http.post(
            "/api/auth/register", json={"username": username, "email": email, "password": PASSWORD}
        )
        assert response.status_code == 201, response.text
        user_id = response.json()["id"]
        response = await self.http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return Person(user_id, username, response.json()["access"])

    async def chatter(self, person: Person, **connect: Any) -> Chatter:
        """A connected client (disconnected when the server stops)."""
        chatter = Chatter(person)
        self.chatters.append(chatter)
        await chatter.connect(self.url, **connect)
        return chatter


@contextlib.asynccontextmanager
async def serve(container: App, services: list[Service] | None = None) -> AsyncIterator[LiveServer]:
    """Serve ``compose(container)`` until the block ends (clients should be gone by then)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        compose(container, services=services),
        lifespan="on",
        log_config=None,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the server stopped during start-up")
        await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{port}"
    live = None
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            live = LiveServer(url, container, http)
            yield live
    finally:
        for chatter in live.chatters if live else []:
            with contextlib.suppress(Exception):
                await chatter.close()
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
async def live(container: App) -> AsyncIterator[LiveServer]:
    async with serve(container) as server:
        yield server


class Chatter:
    """A Socket.IO client on ``/chat`` that keeps every event it receives, per event name."""

    def __init__(self, person: Person | None = None) -> None:
        self.person = person
        self.sio = socketio.AsyncClient(reconnection=False)
        self.inbox: defaultdict[str, asyncio.Queue[Any]] = defaultdict(asyncio.Queue)

        @self.sio.on("*", namespace="/chat")
        async def any_event(event: str, *data: Any) -> None:
            await self.inbox[event].put(data[0] if len(data) == 1 else list(data))

    @property
    def id(self) -> int:
        assert self.person is not None
        return self.person.id

    async def connect(self, url: str, *, token: str | None = None, headers: dict[str, str] | None = None) -> None:
        auth = None
        if headers is None:
            token = token if token is not None else (self.person.access if self.person else None)
            auth = {"token": token} if token is not None else None
        await self.sio.connect(
            url, namespaces=["/chat"], transports=["websocket"], auth=auth, headers=headers or {}, wait_timeout=5
        )

    async def call(self, event: str, data: Any = None) -> Any:
        return await self.sio.call(event, data, namespace="/chat", timeout=5)

    async def emit(self, event: str, data: Any = None) -> None:
        await self.sio.emit(event, data, namespace="/chat")

    async def next(self, event: str, timeout: float = 5.0) -> Any:
        return await asyncio.wait_for(self.inbox[event].get(), timeout)

    async def nothing(self, event: str, wait: float = 0.3) -> None:
        await asyncio.sleep(wait)
        assert self.inbox[event].empty(), f"unexpected {event}: {self.inbox[event].get_nowait()}"

    async def close(self) -> None:
        await self.sio.disconnect()


async def add_organization(engine: AsyncEngine, *member_ids: int, title: str = "Readers") -> int:
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        org_id = await conn.scalar(
            insert(organizations).values(title=title, created_at=now).returning(organizations.c.id)
        )
        for user_id in member_ids:
            await conn.execute(
                insert(organization_members).values(organization_id=org_id, user_id=user_id, joined_at=now)
            )
    return int(org_id)  # type: ignore[arg-type]


@dataclass
class RecordingService:
    events: list[str] = field(default_factory=list)

    async def start(self) -> None:
        self.events.append("start")

    async def stop(self) -> None:
        self.events.append("stop")


@pytest.fixture
def settings(backend: str, database_urls: dict[str, str], tmp_path: Path) -> Settings:
    """No scheduler beside the live servers: these tests are about the chat."""
    return make_settings(database_urls[backend], tmp_path, scheduler="off")
