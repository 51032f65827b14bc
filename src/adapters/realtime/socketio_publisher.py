"""``EventPublisher`` over Socket.IO.

Every connection of a user sits in the room ``user:<id>`` (``user_channel``) of the ``/chat``
namespace (the entrypoint puts it there at connect), so pushing to users is an emit to
their rooms.

The emitter is either the process's ``socketio.AsyncServer`` (with Redis as client manager
the server also fans out to the other processes), or, in a process without a Socket.IO
server (``athenaeum scheduler``), a write-only ``socketio.AsyncRedisManager`` that publishes
on the same Redis channel for the servers to deliver.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import msgspec
import socketio
import structlog

from application.ports.chat import user_channel

log = structlog.get_logger("athenaeum.realtime")

CHAT_NAMESPACE = "/chat"


class Emitter(Protocol):
    """What ``socketio.AsyncServer`` and ``socketio.AsyncRedisManager`` have in common."""

    async def emit(
        self, event: str, data: Any = None, *, to: Any = None, skip_sid: str | None = None, namespace: str | None = None
    ) -> Any: ...


def redis_emitter(url: str, channel: str) -> socketio.AsyncRedisManager:
    """An emit-only client of the Socket.IO Redis channel (no server in this process)."""
    return socketio.AsyncRedisManager(url, channel=channel, write_only=True)


class SocketIOEventPublisher:
    def __init__(self, emitter: Emitter, namespace: str = CHAT_NAMESPACE) -> None:
        self._emitter = emitter
        self._namespace = namespace

    async def to_users(
        self,
        user_ids: Iterable[int],
        event: str,
        payload: Mapping[str, Any],
        *,
        skip_connection: str | None = None,
    ) -> None:
        rooms = [user_channel(user_id) for user_id in dict.fromkeys(user_ids)]
        if rooms:
            await self._emit(event, payload, rooms, skip_connection)

    async def to_room(
        self, room: str, event: str, payload: Mapping[str, Any], *, skip_connection: str | None = None
    ) -> None:
        await self._emit(event, payload, room, skip_connection)

    async def _emit(self, event: str, payload: Mapping[str, Any], to: str | list[str], skip: str | None) -> None:
        data = msgspec.to_builtins(dict(payload))  # datetimes → ISO 8601, as over HTTP
        try:
            await self._emitter.emit(event, data, to=to, skip_sid=skip, namespace=self._namespace)
        except Exception:  # best effort: the fact is committed, a lost push is only logged
            log.warning("realtime push failed", event_name=event, to=to, exc_info=True)

    async def aclose(self) -> None:
        """Close the Redis connection of a write-only emitter (the server closes its own)."""
        if isinstance(self._emitter, socketio.AsyncRedisManager) and self._emitter.write_only:
            client = self._emitter.redis
            if client is not None:
                await client.aclose()
                self._emitter.redis = None
                self._emitter.connected = False
