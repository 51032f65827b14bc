"""The fan-out managers deliver what python-socketio's own manager delivers, socket by
socket, and a socket that fails costs only itself its message."""

from __future__ import annotations

from typing import Any

import pytest
import socketio
from socketio.async_pubsub_manager import AsyncPubSubManager

from entrypoints.socketio.fanout import FanOutManager, RedisFanOutManager, SequentialFanOut

NS = "/chat"
ROOM = "org:7"


def server_with(manager: Any, *, broken: set[str] = frozenset()) -> tuple[socketio.AsyncServer, list[tuple[str, Any]]]:
    server = socketio.AsyncServer(async_mode="asgi", client_manager=manager)
    sent: list[tuple[str, Any]] = []

    async def send(eio_sid: str, pkt: Any) -> None:
        if eio_sid in broken:
            raise ConnectionResetError(eio_sid)
        sent.append((eio_sid, pkt.encode()))

    server._send_eio_packet = send  # type: ignore[method-assign]
    return server, sent


async def join(server: socketio.AsyncServer, sockets: int) -> list[str]:
    sids = []
    for i in range(sockets):
        sid = await server.manager.connect(f"eio-{i}", NS)
        await server.manager.enter_room(sid, NS, ROOM)
        sids.append(sid)
    return sids


async def deliveries(manager: Any, **emit: Any) -> list[tuple[str, Any]]:
    server, sent = server_with(manager)
    sids = await join(server, 5)
    if emit.pop("skip_first", False):
        emit["skip_sid"] = sids[0]
    await server.emit("room_message", {"text": "héllo", "n": 1}, room=ROOM, namespace=NS, **emit)
    return sorted(sent)


@pytest.mark.parametrize("skip_first", [False, True])
async def test_the_same_packets_as_python_socketio_own_manager(skip_first: bool) -> None:
    ours = await deliveries(FanOutManager(), skip_first=skip_first)
    theirs = await deliveries(socketio.AsyncManager(), skip_first=skip_first)
    assert ours == theirs
    assert len(ours) == (4 if skip_first else 5)


async def test_a_failing_socket_does_not_cost_the_others_their_message() -> None:
    server, sent = server_with(FanOutManager(), broken={"eio-2"})
    await join(server, 5)
    await server.emit("room_message", {"text": "still here"}, room=ROOM, namespace=NS)
    assert sorted(eio for eio, _ in sent) == ["eio-0", "eio-1", "eio-3", "eio-4"]


def test_the_redis_manager_delivers_locally_through_the_loop() -> None:
    """Messages from other processes arrive in AsyncPubSubManager._handle_emit, whose
    ``super().emit`` must be the loop, not python-socketio's task-per-socket emit."""
    mro = RedisFanOutManager.__mro__
    assert mro.index(AsyncPubSubManager) < mro.index(SequentialFanOut) < mro.index(socketio.AsyncManager)
