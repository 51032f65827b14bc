"""Graceful shutdown of a real ``athenaeum serve`` process (embedded SQLite: no services needed).

On SIGTERM the process tells its sockets (``server_shutdown``), stops listening, lets the
requests in flight finish, then runs its shutdown hooks (the scheduler stops taking work and
waits for the runs in progress) and exits.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.figures import record
from tests.integration.cluster.processes import Proc, Processes, clean_environ, processes
from tests.integration.conftest import TEST_SECRET
from tests.integration.socketio.conftest import Chatter, Person
from tests.integration.support import PASSWORD

pytestmark = [pytest.mark.slow]


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Processes]:
    env = clean_environ() | {
        "ATHENAEUM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'athenaeum.db'}",
        "ATHENAEUM_SECRET_KEY": TEST_SECRET,
        "ATHENAEUM_VAR_DIR": str(tmp_path / "var"),
        "ATHENAEUM_MEDIA_DIR": str(tmp_path / "media"),
        "ATHENAEUM_PASSWORD_MEMORY_KIB": "1024",
        "ATHENAEUM_PASSWORD_TIME_COST": "1",
        "ATHENAEUM_LOG_LEVEL": "info",
    }
    with processes(tmp_path, env) as group:
        yield group
        print(group.logs())  # shown with a failing test  # noqa: T201


async def register(server: Proc, name: str) -> Person:
    async with httpx.AsyncClient(base_url=server.url or "") as http:
        email = f"{name}@example.org"
        created = await http.post("/api/auth/register", json={"username": name, "email": email, "password": PASSWORD})
        assert created.status_code == 201, created.text
        tokens = await http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    return Person(created.json()["id"], name, tokens.json()["access"])


async def slow_body(text: bytes, pieces: int, pause: float, first_sent: asyncio.Event) -> AsyncIterator[bytes]:
    size = -(-len(text) // pieces)
    for start in range(0, len(text), size):
        yield text[start : start + size]
        first_sent.set()
        await asyncio.sleep(pause)


async def test_sigterm_lets_requests_in_flight_finish_and_tells_the_sockets(procs: Processes) -> None:
    server = procs.serve("serve")
    ada = await register(server, "ada")
    chatter = Chatter(ada)
    await chatter.connect(server.url or "")

    body = b'{"username": "slowpoke", "email": "slowpoke@example.org", "password": "%s"}' % PASSWORD.encode()
    first_sent = asyncio.Event()
    async with httpx.AsyncClient(base_url=server.url or "", timeout=30) as http:
        in_flight = asyncio.create_task(
            http.post(
                "/api/auth/register",
                content=slow_body(body, pieces=8, pause=0.25, first_sent=first_sent),
                headers={"Content-Type": "application/json"},
            )
        )
        await first_sent.wait()
        await asyncio.sleep(0.1)
        server.signal(signal.SIGTERM)
        signalled = time.monotonic()

        notice = await chatter.next("server_shutdown", timeout=5)
        record("shutdown: notice to sockets after SIGTERM (ms)", round((time.monotonic() - signalled) * 1000))
        assert notice["reconnect"] is True

        response = await in_flight  # its body was still arriving when the signal came
        assert response.status_code == 201, response.text
        assert response.json()["username"] == "slowpoke"
        assert time.monotonic() - signalled > 1.0, "the request should have been in flight for a while"

    exit_code = await asyncio.to_thread(server.wait, 30)
    record("shutdown: process gone after SIGTERM (ms)", round((time.monotonic() - signalled) * 1000))
    assert exit_code in (0, -signal.SIGTERM), server.tail()  # uvicorn re-raises the signal it handled
    assert "Application shutdown complete" in server.log.read_text()
    async with httpx.AsyncClient(base_url=server.url or "") as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/health", timeout=2)
    await chatter.close()
