"""A lean Socket.IO client for the benchmark: Engine.IO 4 / Socket.IO 5 over a websocket, text
packets only, one namespace, what ``socketio_bench.py`` needs and nothing else.

Why not python-socketio's ``AsyncClient``: on this 2-core machine the benchmark's clients run in
one process on one core, and ``AsyncClient`` spent more CPU per delivery than the server did
(0.065-0.072 ms against 0.050-0.059 ms in the room fan-out, ``just bench`` at 16:14 UTC on
2026-12-03: it creates a task per incoming packet, decodes through two packet classes, and
dispatches through its event machinery). At 10,000 deliveries/s that left the client process
near saturation, and its queueing was counted as delivery latency. This client reads each
frame in the websocket's own reader task and handles it inline. The server is the same either
way: the protocol on the wire is the one every Socket.IO client speaks (``--client
python-socketio`` in ``socketio_bench.py`` measures with the library's client instead).

Wire format used (https://socket.io/docs/v4/socket-io-protocol/, engine.io-protocol v4):
``0{...}`` Engine.IO open, ``2``/``3`` ping/pong, ``4`` + a Socket.IO packet: ``0/chat,{auth}``
connect, ``2/chat,<id>["event",data]`` event (the id when an ack is wanted),
``3/chat,<id>[data]`` ack, ``4/chat,{...}`` connect error.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Callable
from typing import Any

import aiohttp


class ConnectError(Exception):
    pass


class LeanClient:
    def __init__(self, session: aiohttp.ClientSession, namespace: str = "/chat") -> None:
        self._session = session
        self._ns = namespace
        self._event_prefix = f"42{namespace},"
        self._ack_prefix = f"43{namespace},"
        self._handlers: dict[str, Callable[[Any], None]] = {}
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self.connected = False

    def on(self, event: str, handler: Callable[[Any], None]) -> None:
        self._handlers[event] = handler

    async def connect(self, url: str, auth: dict[str, Any], timeout: float = 10) -> None:
        ws_url = url.replace("http://", "ws://", 1).rstrip("/") + "/socket.io/?EIO=4&transport=websocket"
        self._ws = await self._session.ws_connect(ws_url, max_msg_size=0)  # autoping: websocket pings (uvicorn's)
        opened = await asyncio.wait_for(self._ws.receive(), timeout)
        if opened.type != aiohttp.WSMsgType.TEXT or not opened.data.startswith("0"):
            raise ConnectError(f"no Engine.IO open packet: {opened.data!r}")
        await self._ws.send_str(f"40{self._ns},{json.dumps(auth)}")
        answer = await asyncio.wait_for(self._ws.receive(), timeout)
        if answer.type != aiohttp.WSMsgType.TEXT or not answer.data.startswith(f"40{self._ns},"):
            raise ConnectError(f"namespace refused: {answer.data!r}")
        self.connected = True
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        ws = self._ws
        if ws is None:
            return
        event_prefix, ack_prefix = self._event_prefix, self._ack_prefix
        n_event, n_ack = len(event_prefix), len(ack_prefix)
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    break
                continue
            data: str = msg.data
            if data.startswith(event_prefix):
                name, *args = json.loads(data[n_event:])
                handler = self._handlers.get(name)
                if handler is not None:
                    handler(args[0] if args else None)
            elif data.startswith(ack_prefix):
                body = data[n_ack:]
                bracket = body.index("[")
                future = self._pending.pop(int(body[:bracket]), None)
                if future is not None and not future.done():
                    args = json.loads(body[bracket:])
                    future.set_result(args[0] if args else None)
            elif data == "2":
                await ws.send_str("3")
        self.connected = False
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError("the connection closed"))
        self._pending.clear()

    async def call(self, event: str, data: Any, timeout: float = 30) -> Any:
        """Emit ``event`` and wait for its acknowledgement's first argument."""
        if self._ws is None or not self.connected:
            raise ConnectionError("not connected")
        ack_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[ack_id] = future
        await self._ws.send_str(f"42{self._ns},{ack_id}{json.dumps([event, data])}")
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(ack_id, None)

    async def disconnect(self) -> None:
        if self._ws is not None and not self._ws.closed:
            with contextlib.suppress(Exception):
                await self._ws.send_str(f"41{self._ns},")
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader
        self.connected = False
