"""A local fake of the Telegram Bot API: records ``sendMessage`` calls; can be taken down."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.integration.fakes.threaded import aiohttp_in_thread

TOKEN = "123456:TEST-token"


@dataclass
class FakeTelegram:
    url: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)  # accepted sendMessage bodies
    refused: int = 0
    down: bool = False

    async def send_message(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        if self.down:
            self.refused += 1
            return web.json_response({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502)
        body = await request.json()
        self.messages.append(body)
        return web.json_response({"ok": True, "result": {"message_id": len(self.messages), "text": body.get("text")}})


@contextmanager
def running_fake_telegram() -> Iterator[FakeTelegram]:
    """The fake on a free local port, in a thread of its own."""
    fake = FakeTelegram()
    app = web.Application()
    app.router.add_post("/bot{token}/sendMessage", fake.send_message)
    with aiohttp_in_thread(app) as url:
        fake.url = url
        yield fake
