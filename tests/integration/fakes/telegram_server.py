"""A local fake of the Telegram Bot API: records ``sendMessage`` calls; can be taken down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

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


@asynccontextmanager
async def running_fake_telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    app = web.Application()
    app.router.add_post("/bot{token}/sendMessage", fake.send_message)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        await runner.cleanup()
