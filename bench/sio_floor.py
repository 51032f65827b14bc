"""The Socket.IO floor: python-socketio on uvicorn with the chat's events and nothing else.

    uv run python bench/socketio_bench.py --app floor --mode direct   # what the stack alone delivers

The same ``/chat`` namespace, events, acknowledgements and payload shapes as Athenaeum's
(``send`` → ``message`` to the recipient's and the sender's other sockets, ``send_room`` →
``room_message`` to the room, ``join``), served the way ``athenaeum serve`` serves it
(uvicorn, uvloop, httptools, websockets-sansio), but with no database, no authentication
beyond reading the token's ``sub`` (unverified), no validation, no rate limit, no metrics and
no logging. What ``bench/socketio_bench.py`` measures against it is the most one process of
this stack can deliver on this machine: an upper bound for any application built on it, as
``bench/floor.py`` is for HTTP.
"""

from __future__ import annotations

import base64
import itertools
import json
from datetime import UTC, datetime
from typing import Any

import socketio

sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins=[], logger=False, engineio_logger=False)
_ids = itertools.count(1)


def _user_id(auth: Any) -> int:
    """The token's ``sub``, not verified (the floor measures the transport, not the check)."""
    token = auth.get("token", "") if isinstance(auth, dict) else ""
    payload = token.split(".")[1]
    return int(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


class Chat(socketio.AsyncNamespace):
    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:  # noqa: ARG002
        user_id = _user_id(auth)
        await self.save_session(sid, {"user_id": user_id})
        await self.enter_room(sid, f"user:{user_id}")

    async def on_send(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        sender = (await self.get_session(sid))["user_id"]
        message = {
            "id": next(_ids),
            "sender_id": sender,
            "recipient_id": data["recipient_id"],
            "text": data["text"],
            "created_at": datetime.now(UTC).isoformat(),
        }
        await self.emit("message", message, to=[f"user:{data['recipient_id']}", f"user:{sender}"], skip_sid=sid)
        return {"id": message["id"], "created_at": message["created_at"]}

    async def on_send_room(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        sender = (await self.get_session(sid))["user_id"]
        message = {
            "id": next(_ids),
            "room": data["room"],
            "sender_id": sender,
            "text": data["text"],
            "created_at": datetime.now(UTC).isoformat(),
        }
        await self.emit("room_message", message, room=data["room"])
        return {"id": message["id"], "created_at": message["created_at"]}

    async def on_join(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        await self.enter_room(sid, data["room"])
        return {"ok": True}


sio.register_namespace(Chat("/chat"))


async def _health(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``GET /health`` (what the benchmark polls before it connects); 404 for anything else.
    python-engineio's ASGIApp hands the lifespan to this app: nothing to start or stop."""
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    status = 200 if scope.get("path") == "/health" else 404
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok" if status == 200 else b""})


app = socketio.ASGIApp(sio, other_asgi_app=_health)
