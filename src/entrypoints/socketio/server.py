"""The Socket.IO server: built from settings, served beside the HTTP app, started and
stopped with it.

* Path ``/socket.io`` on the same port as the HTTP API (``entrypoints.asgi.compose``).
* Allowed origins follow ``CORS_ORIGINS``: empty → the page must come from the same
  origin as the socket; a list → those origins (and the same origin); ``*`` (refused by the
  settings with Postgres) → any.
* With ``REDIS_URL`` the server uses python-socketio's Redis client manager on the
  ``SOCKETIO_CHANNEL`` pub/sub channel, so an emit in one process reaches the clients of
  every process. Either way a room's message is handed to its sockets in a loop rather than
  a task per socket (``entrypoints.socketio.fanout``).
* A packet over ``MAX_PACKET_BYTES`` closes the connection (python-socketio's
  ``max_http_buffer_size``); the ``/chat`` handlers refuse smaller but still oversized
  events with an error acknowledgement.
* Shutting down, the clients of this process are told first: on SIGTERM (or SIGINT) each
  socket receives ``server_shutdown`` before uvicorn closes the websockets (it closes them
  with code 1012 *before* the application's shutdown hooks run, so the notice cannot wait for
  those), and the client can reconnect, through the proxy, to another replica.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import socketio
import structlog

from entrypoints.settings import Settings
from entrypoints.socketio.fanout import FanOutManager, RedisFanOutManager

log = structlog.get_logger("athenaeum.socketio")

#: Largest Engine.IO packet accepted: above every valid chat event (4000 characters of text,
#: even with every character escaped as a surrogate pair), far below what could hurt the server.
MAX_PACKET_BYTES = 64 * 1024
SUBSCRIBE_TIMEOUT = 3.0
#: Event every connected socket receives when its process is about to stop.
SHUTDOWN_EVENT = "server_shutdown"
#: How long the notice is given to reach the clients before the server goes on stopping.
SHUTDOWN_NOTICE_SECONDS = 0.5


def _same_origins(environ: Mapping[str, Any]) -> set[str]:
    """The origin(s) the socket itself is served from (as python-socketio computes them)."""
    host = environ.get("HTTP_HOST")
    if not host:
        return set()
    scheme = environ.get("wsgi.url_scheme", "http")
    origins = {f"{scheme}://{host}"}
    forwarded_host = environ.get("HTTP_X_FORWARDED_HOST")
    forwarded_proto = environ.get("HTTP_X_FORWARDED_PROTO")
    if forwarded_host or forwarded_proto:
        proto = (forwarded_proto or scheme).split(",")[0].strip()
        origins.add(f"{proto}://{(forwarded_host or host).split(',')[0].strip()}")
    return origins


def allowed_origins(settings: Settings) -> str | Callable[[str, Mapping[str, Any]], bool] | None:
    """python-socketio's ``cors_allowed_origins`` for ``settings.cors_origins``.

    ``None`` is python-socketio's same-origin check; ``[]`` would switch the check off, so it
    is never returned.
    """
    if not settings.cors_origins:
        return None
    if "*" in settings.cors_origins:
        return "*"
    listed = frozenset(settings.cors_origins)

    def allowed(origin: str, environ: Mapping[str, Any]) -> bool:
        return origin in listed or origin in _same_origins(environ)

    return allowed


def build_server(settings: Settings) -> socketio.AsyncServer:
    manager: socketio.AsyncManager = (
        RedisFanOutManager(settings.redis_url, channel=settings.socketio_channel)
        if settings.redis_url
        else FanOutManager()
    )
    return socketio.AsyncServer(
        async_mode="asgi",
        cors_allowed_origins=allowed_origins(settings),
        client_manager=manager,
        max_http_buffer_size=MAX_PACKET_BYTES,
        logger=False,
        engineio_logger=False,
    )


class SocketIOService:
    """Runs beside the HTTP app (``create_app(..., services=[...])``): on start it connects the
    Redis client manager (so pushes from other processes arrive before the first client
    does); on stop it ends python-socketio's background tasks and closes Redis."""

    def __init__(self, server: socketio.AsyncServer) -> None:
        self._server = server
        self._announcing: asyncio.Task[None] | None = None
        self._wrapped: dict[int, tuple[Callable[..., Any], Callable[..., Any]]] = {}

    async def start(self) -> None:
        self._announce_before_exit()
        server = self._server
        if not server.manager_initialized:
            server.manager_initialized = True
            server.manager.initialize()
        manager = server.manager
        if isinstance(manager, socketio.AsyncRedisManager):
            deadline = time.monotonic() + SUBSCRIBE_TIMEOUT
            while not (manager.pubsub is not None and manager.pubsub.subscribed):
                if time.monotonic() > deadline:
                    log.warning("Socket.IO is not yet subscribed to Redis; it keeps trying in the background")
                    break
                await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self._restore_signals()
        server = self._server
        await server.shutdown()
        manager = server.manager
        listener = getattr(manager, "thread", None)
        if isinstance(listener, asyncio.Task) and not listener.done():
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
        if isinstance(manager, socketio.AsyncRedisManager) and manager.redis is not None:
            if manager.pubsub is not None:
                await manager.pubsub.aclose()
                manager.pubsub = None
            await manager.redis.aclose()
            manager.redis = None
            manager.connected = False

    async def announce_shutdown(self) -> None:
        """Tell this process's sockets (not the other processes': the notice skips Redis) that
        it is stopping, and give the frames a moment to leave."""
        notice = {"reconnect": True, "detail": "This server is shutting down; connect again."}
        for namespace in list(self._server.namespace_handlers):
            await self._server.emit(SHUTDOWN_EVENT, notice, namespace=namespace, ignore_queue=True)
        await asyncio.sleep(SHUTDOWN_NOTICE_SECONDS)

    def _announce_before_exit(self) -> None:
        """Wrap the server's SIGTERM/SIGINT handlers (uvicorn's, installed before the lifespan
        starts): announce, then hand the signal on. A second signal is handed on at once."""
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(signum)
            if not callable(previous):
                continue  # default or ignored: nothing to hand the signal on to

            def handler(sig: int, frame: Any, previous: Callable[[int, Any], Any] = previous) -> None:
                if self._announcing is not None:
                    previous(sig, frame)
                    return
                loop.call_soon_threadsafe(self._start_announcing, previous, sig, frame)

            signal.signal(signum, handler)
            self._wrapped[signum] = (handler, previous)

    def _restore_signals(self) -> None:
        for signum, (handler, previous) in self._wrapped.items():
            if signal.getsignal(signum) is handler:
                signal.signal(signum, previous)
        self._wrapped.clear()

    def _start_announcing(self, previous: Callable[[int, Any], Any], sig: int, frame: Any) -> None:
        async def announce_then_stop() -> None:
            try:
                await asyncio.wait_for(self.announce_shutdown(), timeout=SHUTDOWN_NOTICE_SECONDS * 4)
            except Exception:  # stopping matters more than the notice
                log.warning("could not announce the shutdown to the sockets", exc_info=True)
            finally:
                previous(sig, frame)

        if self._announcing is None:
            self._announcing = asyncio.ensure_future(announce_then_stop())
        else:
            previous(sig, frame)
