"""The Socket.IO benchmark's own client (bench/sio_client.py) against the real server: what it
counts as delivered must be what the server delivered, or ``just bench`` measures nothing."""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import uvicorn

from tests.integration.socketio.conftest import LiveServer

_BENCH = Path(__file__).resolve().parents[3] / "bench"


def _bench_module(name: str) -> Any:
    """``bench/<name>.py`` (not a package: the benchmark scripts import each other by file)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", _BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


sio_client = _bench_module("sio_client")


async def test_the_lean_client_sends_receives_and_is_refused_like_any_client(live: LiveServer) -> None:
    ada, bob = await live.person(), await live.person()
    inbox: dict[str, asyncio.Queue[Any]] = {"message": asyncio.Queue(), "room_message": asyncio.Queue()}
    async with aiohttp.ClientSession() as session:
        sender, receiver = sio_client.LeanClient(session), sio_client.LeanClient(session)
        receiver.on("message", inbox["message"].put_nowait)
        receiver.on("room_message", inbox["room_message"].put_nowait)
        await sender.connect(live.url, {"token": ada.access})
        await receiver.connect(live.url, {"token": bob.access})
        try:
            ack = await sender.call("send", {"recipient_id": bob.id, "text": "1.5 hello"}, timeout=5)
            assert isinstance(ack.get("id"), int), ack
            got = await asyncio.wait_for(inbox["message"].get(), 5)
            assert (got["id"], got["sender_id"], got["text"]) == (ack["id"], ada.id, "1.5 hello")

            refused = await sender.call("send", {"recipient_id": ada.id, "text": "to myself"}, timeout=5)
            assert "error" in refused

            for client in (sender, receiver):
                assert "error" not in await client.call("join", {"room": "lobby"}, timeout=5)
            await sender.call("send_room", {"room": "lobby", "text": "2.5 all"}, timeout=5)
            heard = await asyncio.wait_for(inbox["room_message"].get(), 5)
            assert (heard["room"], heard["text"]) == ("lobby", "2.5 all")
        finally:
            await sender.disconnect()
            await receiver.disconnect()
        assert not sender.connected

        stranger = sio_client.LeanClient(session)
        with pytest.raises(sio_client.ConnectError):
            await stranger.connect(live.url, {"token": "not-a-jwt"})


def _token(user_id: int) -> str:
    """JWT-shaped, unsigned: the floor reads ``sub`` and checks nothing."""
    claims = base64.urlsafe_b64encode(json.dumps({"sub": str(user_id)}).encode()).decode().rstrip("=")
    return f"e30.{claims}.x"


async def test_the_floor_speaks_the_chat_protocol_the_benchmark_counts() -> None:
    """bench/sio_floor.py stands in for Athenaeum in the Socket.IO floor run: a delivery it makes
    must be one the benchmark's client counts, to the right socket, with the same payload keys."""
    floor = _bench_module("sio_floor")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(floor.app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    inbox: dict[int, asyncio.Queue[Any]] = {1: asyncio.Queue(), 2: asyncio.Queue(), 3: asyncio.Queue()}
    try:
        while not server.started:
            assert not task.done(), "the floor did not start"
            await asyncio.sleep(0.01)
        async with aiohttp.ClientSession() as session:
            assert (await session.get(f"{url}/health")).status == 200
            clients = {n: sio_client.LeanClient(session) for n in inbox}
            for n, client in clients.items():
                client.on("message", inbox[n].put_nowait)
                client.on("room_message", inbox[n].put_nowait)
                await client.connect(url, {"token": _token(n)})
            ack = await clients[1].call("send", {"recipient_id": 2, "text": "1.5 hello"}, timeout=5)
            got = await asyncio.wait_for(inbox[2].get(), 5)
            assert got == {
                "id": ack["id"],
                "sender_id": 1,
                "recipient_id": 2,
                "text": "1.5 hello",
                "created_at": ack["created_at"],
            }
            for n in (1, 2):
                assert await clients[n].call("join", {"room": "lobby"}, timeout=5) == {"ok": True}
            await clients[2].call("send_room", {"room": "lobby", "text": "2.5 all"}, timeout=5)
            for n in (1, 2):
                assert (await asyncio.wait_for(inbox[n].get(), 5))["text"] == "2.5 all"
            assert inbox[1].empty()
            assert inbox[3].empty()  # neither the recipient of the direct message nor in the lobby
            for client in clients.values():
                await client.disconnect()
    finally:
        server.should_exit = True
        await task
