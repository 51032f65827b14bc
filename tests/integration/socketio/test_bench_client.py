"""The Socket.IO benchmark's own client (bench/sio_client.py) against the real server: what it
counts as delivered must be what the server delivered, or ``just bench`` measures nothing."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.integration.socketio.conftest import LiveServer

_PATH = Path(__file__).resolve().parents[3] / "bench" / "sio_client.py"
_spec = importlib.util.spec_from_file_location("bench_sio_client", _PATH)
assert _spec is not None
assert _spec.loader is not None
sio_client = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = sio_client
_spec.loader.exec_module(sio_client)


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
