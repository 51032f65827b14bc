"""A local fake of Stripe's Checkout API, for driving the real ``stripe`` SDK in tests.

Implements ``POST /v1/checkout/sessions`` and ``GET /v1/checkout/sessions/{id}`` with
Stripe's wire format (form-encoded requests, JSON answers, ``Idempotency-Key`` replays),
records every request, and can be told to fail (any status) or to hang (timeouts).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.integration.fakes.threaded import aiohttp_in_thread

_ids = itertools.count(1)
METADATA = re.compile(r"^metadata\[(.+)\]$")


@dataclass
class Recorded:
    method: str
    path: str
    form: dict[str, str]
    headers: dict[str, str]
    created: str | None = None  # the id of the session this request created


@dataclass
class FakeStripe:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: answer every request with this status (None: behave)
    fail_with: int | None = None
    #: hold every request this long before answering (longer than the client's timeout)
    hang_seconds: float = 0.0
    _by_key: dict[str, dict[str, Any]] = field(default_factory=dict)

    # -- what tests look at
    @property
    def creations(self) -> list[Recorded]:
        """Session-creating requests that really created a session (replays excluded)."""
        return [r for r in self.requests if r.created is not None]

    @property
    def posts(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]

    def pay(self, session_id: str) -> None:
        self.sessions[session_id].update(status="complete", payment_status="paid")

    def expire(self, session_id: str) -> None:
        self.sessions[session_id].update(status="expired")

    def behave(self) -> None:
        self.fail_with, self.hang_seconds = None, 0.0

    # -- the API
    async def _gate(self) -> web.Response | None:
        if self.hang_seconds:
            await asyncio.sleep(self.hang_seconds)
        if self.fail_with is not None:
            return web.json_response(
                {"error": {"type": "api_error", "message": "The fake is told to fail."}}, status=self.fail_with
            )
        return None

    async def create_session(self, request: web.Request) -> web.Response:
        form = {key: value for key, value in (await request.post()).items() if isinstance(value, str)}
        headers = {key.lower(): value for key, value in request.headers.items()}
        recorded = Recorded("POST", request.path, form, headers)
        self.requests.append(recorded)
        if (failure := await self._gate()) is not None:
            return failure
        key = headers.get("idempotency-key")
        if key and key in self._by_key:
            return web.json_response(self._by_key[key], headers={"Idempotent-Replayed": "true"})
        session_id = f"cs_test_{next(_ids):06d}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "status": "open",
            "payment_status": "unpaid",
            "mode": form.get("mode"),
            "amount_total": int(form.get("line_items[0][price_data][unit_amount]", "0")),
            "currency": form.get("line_items[0][price_data][currency]"),
            "client_reference_id": form.get("client_reference_id"),
            "success_url": form.get("success_url"),
            "cancel_url": form.get("cancel_url"),
            "expires_at": int(form.get("expires_at") or time.time() + 86_400),
            "metadata": {m.group(1): v for k, v in form.items() if (m := METADATA.match(k))},
        }
        self.sessions[session_id] = session
        recorded.created = session_id
        if key:
            self._by_key[key] = session
        return web.json_response(session)

    async def get_session(self, request: web.Request) -> web.Response:
        self.requests.append(Recorded("GET", request.path, {}, dict(request.headers)))
        if (failure := await self._gate()) is not None:
            return failure
        session = self.sessions.get(request.match_info["session_id"])
        if session is None:
            return web.json_response(
                {
                    "error": {
                        "type": "invalid_request_error",
                        "code": "resource_missing",
                        "message": "No such checkout.session",
                    }
                },
                status=404,
            )
        return web.json_response(session)


@contextmanager
def running_fake_stripe() -> Iterator[FakeStripe]:
    """The fake on a free local port, in a thread of its own."""
    fake = FakeStripe()
    app = web.Application()
    app.router.add_post("/v1/checkout/sessions", fake.create_session)
    app.router.add_get("/v1/checkout/sessions/{session_id}", fake.get_session)
    with aiohttp_in_thread(app) as url:
        fake.url = url
        yield fake
