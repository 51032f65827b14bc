"""Client managers that hand a room's message to its sockets in a loop, not a task each.

python-socketio's ``AsyncManager.emit`` creates one asyncio task per recipient socket and
waits for them all; handing a packet to a socket only appends it to that socket's send
queue (Engine.IO's writer task does the network I/O), so the tasks buy nothing and cost a
lot: ``create_task`` was 21 % of the server's samples in the room fan-out benchmark (100
sockets per message). Here the same encoded packet is queued to each socket in turn: server
CPU per delivery 0.022 to 0.025 ms against 0.027 to 0.030 ms (``just bench-socketio --mode room``,
three runs each, alternated). A socket that fails is logged and skipped; the others still
get the message.

Emits that carry a callback (an acknowledgement per recipient) keep the library's path, as
does everything that is not a fan-out. ``RedisFanOutManager`` puts the same loop under
python-socketio's Redis manager: messages published by other processes arrive through
``AsyncPubSubManager._handle_emit``, whose ``super().emit`` resolves to the loop below.
"""

from __future__ import annotations

from typing import Any

import socketio
import structlog
from engineio import packet as eio_packet
from socketio import packet

log = structlog.get_logger("athenaeum.socketio")


class SequentialFanOut(socketio.AsyncManager):
    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        if callback is not None:
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to, **kwargs)
            return
        room = to or room
        if namespace not in self.rooms:
            return
        if isinstance(data, tuple):  # as python-socketio: a tuple is several arguments
            args = list(data)
        elif data is not None:
            args = [data]
        else:
            args = []
        skipped = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        packets = [
            eio_packet.Packet(eio_packet.MESSAGE, part)
            for part in (encoded if isinstance(encoded, list) else [encoded])
        ]
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid in skipped:
                continue
            for pkt in packets:
                try:
                    await self.server._send_eio_packet(eio_sid, pkt)  # noqa: SLF001 - what the library's emit calls
                except Exception:
                    log.warning("socketio_send_failed", sid=sid, socketio_event=event, exc_info=True)
                    break


class FanOutManager(SequentialFanOut):
    """One process: the default manager, with the loop."""


class RedisFanOutManager(socketio.AsyncRedisManager, SequentialFanOut):
    """Several processes through Redis pub/sub, with the loop for the local delivery."""
