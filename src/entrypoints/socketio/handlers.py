"""The ``/chat`` namespace: thin handlers over the chat use cases.

Connect with the access token in ``auth={"token": …}`` or in the configured auth header
(``Bearer <token>``); a missing, bad or expired token refuses the connection. Each
connection joins ``user:<id>`` (every connection of that user) and nothing else; rooms are
joined explicitly.

Every event is acknowledged with its result or ``{"error": <problem>}``, the same RFC 9457
problem object (and the same status table) as over HTTP: 400 malformed payload, 401
inactive account, 403/404 not yours, 413 payload too large, 422 invalid value, 429 too
many events on this connection.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
import socketio
import structlog
from sqlalchemy.exc import DBAPIError

from application.errors import NotAuthenticated, RateLimited, ServiceUnavailable
from application.ports.chat import user_channel
from application.use_cases.identity import Principal
from domain.chat import Room
from domain.errors import DomainError
from domain.shared import UserId
from entrypoints.http.errors import TYPE_PREFIX, problem_body
from entrypoints.http.schemas.chat import (
    ReadReceiptResponse,
    ReadRequest,
    RoomRequest,
    SendMessageRequest,
    SendRoomMessageRequest,
    SentResponse,
    TypingRequest,
)

if TYPE_CHECKING:
    from entrypoints.container import App

log = structlog.get_logger("athenaeum.socketio")

CHAT_NAMESPACE = "/chat"
#: Largest event payload handled (as compact JSON); larger ones are refused with a 413 ack.
MAX_EVENT_BYTES = 32 * 1024

S = TypeVar("S", bound=msgspec.Struct)
Ack = dict[str, Any]


@dataclass(slots=True)
class TokenBucket:
    """``rate`` events per second on average, bursts of up to ``rate`` events."""

    rate: float
    tokens: float = 0.0
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.rate

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def _problem(status: int, code: str, title: str, detail: str, **extra: Any) -> Ack:
    return {"type": f"{TYPE_PREFIX}{code}", "title": title, "status": status, "detail": detail, **extra}


_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)


def invalid_payload(exc: msgspec.ValidationError) -> Ack:
    """A payload of the wrong shape: the same 400 problem as an invalid HTTP body."""
    match = _AT.match(str(exc))
    message = match.group("message") if match else str(exc)
    path = (match.group("path") or "").lstrip(".") if match else ""
    field_name = path or None
    detail = f"{field_name}: {message}" if field_name else message
    errors = [{"field": field_name, "message": message, "in": "body"}]
    return _problem(400, "invalid-request", "Invalid request", detail, errors=errors)


def error_ack(exc: Exception) -> Ack:
    if isinstance(exc, msgspec.ValidationError):
        return {"error": invalid_payload(exc)}
    if isinstance(exc, DomainError):
        _, body = problem_body(exc)
        if isinstance(exc, RateLimited):
            body["retry_after"] = exc.retry_after_seconds
        return {"error": body}
    if isinstance(exc, DBAPIError) and (exc.connection_invalidated or type(exc.orig).__name__ in _CONNECTION_ERRORS):
        log.warning("database unavailable", error=str(exc.orig))
        return {"error": problem_body(ServiceUnavailable("The database is unavailable; try again shortly."))[1]}
    log.error("socket event failed", exc_info=exc)
    return {
        "error": _problem(
            500, "internal-error", "Internal server error", "Something went wrong on our side. It has been logged."
        )
    }


_CONNECTION_ERRORS = {"OperationalError", "InterfaceError", "AdminShutdown", "ConnectionTimeout"}


class ChatNamespace(socketio.AsyncNamespace):
    def __init__(self, container: App, *, events_per_second: int, auth_header: str) -> None:
        super().__init__(CHAT_NAMESPACE)
        self._c = container
        self._metrics = container.gateways.metrics()
        self._header = "HTTP_" + auth_header.upper().replace("-", "_")
        self._rate = events_per_second
        self._buckets: dict[str, TokenBucket] = {}

    # -- connection

    def _token(self, environ: dict[str, Any], auth: object) -> str | None:
        if isinstance(auth, dict) and isinstance(auth.get("token"), str) and auth["token"].strip():
            return str(auth["token"]).strip()
        scheme, _, token = str(environ.get(self._header, "")).partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
        return None

    async def _authenticate(self, environ: dict[str, Any], auth: object) -> Principal:
        token = self._token(environ, auth)
        if token is None:
            raise NotAuthenticated('Send the access token as auth={"token": …} or a Bearer header.')
        principal: Principal = await self._c.identity.authenticate()(token=token)
        return principal

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        if sid in self._buckets:
            return  # a client emitted an event named "connect": not a connection
        try:
            principal = await self._authenticate(environ, auth)
        except Exception as exc:
            body = error_ack(exc)["error"]
            raise socketio.exceptions.ConnectionRefusedError(body["detail"], body) from exc
        await self.save_session(sid, {"user_id": principal.user_id})
        await self.enter_room(sid, user_channel(principal.user_id))
        self._buckets[sid] = TokenBucket(self._rate)
        self._metrics.socket_connections.inc()

    async def on_disconnect(self, sid: str, _reason: object = None) -> None:
        if self.server.manager.is_connected(sid, self.namespace):
            return  # a client emitted an event named "disconnect": it is still connected
        if self._buckets.pop(sid, None) is not None:
            self._metrics.socket_connections.dec()

    # -- events

    async def _handle(
        self, sid: str, args: tuple[Any, ...], schema: type[S], action: Callable[[UserId, S], Awaitable[Ack]]
    ) -> Ack:
        try:
            self._spend(sid)
            payload = args[0] if len(args) == 1 else list(args) or None
            if len(msgspec.json.encode(payload)) > MAX_EVENT_BYTES:
                return {
                    "error": _problem(
                        413,
                        "payload-too-large",
                        "Payload too large",
                        f"An event carries at most {MAX_EVENT_BYTES} bytes.",
                    )
                }
            command = msgspec.convert(payload, schema)
            session = await self.get_session(sid)
            return await action(UserId(session["user_id"]), command)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an error acknowledgement
            return error_ack(exc)

    def _spend(self, sid: str) -> None:
        bucket = self._buckets.get(sid)
        if bucket is None or not bucket.take():
            raise RateLimited(1, f"At most {self._rate} events per second on one connection.")

    async def on_send(self, sid: str, *args: Any) -> Ack:
        async def send(user_id: UserId, cmd: SendMessageRequest) -> Ack:
            message = await self._c.chat.send_direct_message()(
                sender_id=user_id, recipient_id=UserId(cmd.recipient_id), text=cmd.text, origin=sid
            )
            return msgspec.to_builtins(SentResponse(id=message.mid, created_at=message.created_at))

        return await self._handle(sid, args, SendMessageRequest, send)

    async def on_send_room(self, sid: str, *args: Any) -> Ack:
        async def send_room(user_id: UserId, cmd: SendRoomMessageRequest) -> Ack:
            message = await self._c.chat.send_room_message()(sender_id=user_id, room=cmd.room, text=cmd.text)
            return msgspec.to_builtins(SentResponse(id=message.mid, created_at=message.created_at))

        return await self._handle(sid, args, SendRoomMessageRequest, send_room)

    async def on_join(self, sid: str, *args: Any) -> Ack:
        async def join(user_id: UserId, cmd: RoomRequest) -> Ack:
            room = await self._c.chat.join_room()(user_id=user_id, room=cmd.room)
            await self.enter_room(sid, room.name)
            return {"ok": True}

        return await self._handle(sid, args, RoomRequest, join)

    async def on_leave(self, sid: str, *args: Any) -> Ack:
        async def leave(_: UserId, cmd: RoomRequest) -> Ack:
            await self.leave_room(sid, Room.parse(cmd.room).name)
            return {"ok": True}

        return await self._handle(sid, args, RoomRequest, leave)

    async def on_typing(self, sid: str, *args: Any) -> Ack:
        async def typing(user_id: UserId, cmd: TypingRequest) -> Ack:
            await self._c.chat.signal_typing()(user_id=user_id, recipient_id=UserId(cmd.recipient_id))
            return {"ok": True}

        return await self._handle(sid, args, TypingRequest, typing)

    async def on_read(self, sid: str, *args: Any) -> Ack:
        async def read(user_id: UserId, cmd: ReadRequest) -> Ack:
            message = await self._c.chat.mark_read()(user_id=user_id, message_id=cmd.message_id)
            return msgspec.to_builtins(ReadReceiptResponse.of(message))

        return await self._handle(sid, args, ReadRequest, read)


def register(server: socketio.AsyncServer, container: App) -> None:
    """Serve the ``/chat`` namespace on ``server`` with the use cases of ``container``."""
    settings = container.settings()
    server.register_namespace(
        ChatNamespace(
            container, events_per_second=settings.socketio_events_per_second, auth_header=settings.auth_header
        )
    )
