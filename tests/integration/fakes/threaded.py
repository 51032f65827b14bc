"""Run a local server in a thread of its own, with its own event loop.

Litestar's test client runs the app on another thread and *blocks* the caller's loop
while a request is handled, so a peer that the app calls (fake Stripe, fake Telegram)
must not live on the test's loop; and real concurrency needs a real server.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import uvicorn
from aiohttp import web


@contextmanager
def aiohttp_in_thread(app: web.Application) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port) until the block ends; yields its base URL."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    started: dict[str, Any] = {}
    ready = threading.Event()

    async def start() -> None:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        started["port"] = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=run, name="fake-server", daemon=True)
    thread.start()
    if not ready.wait(10):
        msg = "the fake server did not start"
        raise RuntimeError(msg)
    try:
        yield f"http://127.0.0.1:{started['port']}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


@asynccontextmanager
async def uvicorn_in_thread(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app for real (concurrent requests really run at once)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="live-app", daemon=True)
    thread.start()
    for _ in range(1000):
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 15)
        sock.close()
