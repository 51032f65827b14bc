"""The small world the authorization matrix runs in: three accounts (owner, other, admin), a
bystander, and one of each resource the routes refer to, plus builders of disposable
resources for the rows whose allowed request changes something.

Also the database snapshot the matrix compares around a refused request.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import metadata, outbox, payments
from entrypoints.container import App
from tests.integration.community_support import publish
from tests.integration.support import Account, Api

_serial = itertools.count(1)

#: Tables a refused request may still change, each with the reason. Nothing else may move.
#: (Empty: the rate limiter, the login failure log and the metrics live outside the database,
#: and no job runs during a request, so every table must stay as it was.)
VOLATILE_TABLES: dict[str, str] = {}


def serial() -> int:
    """A number unique in this process, for names that must not collide."""
    return next(_serial)


@dataclass
class World:
    """Everything a row's path, body and headers can refer to."""

    api: Api
    engine: AsyncEngine
    owner: Account
    other: Account
    admin: Account
    bystander: Account
    ids: dict[str, Any] = field(default_factory=dict)

    @property
    def client(self) -> AsyncTestClient[Any]:
        return self.api.client

    @property
    def container(self) -> App:
        return self.api.container

    async def call(self, method: str, path: str, who: Account | None, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if who is not None:
            headers.update(who.headers)
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def ok(self, method: str, path: str, who: Account | None, status: int, **kwargs: Any) -> Any:
        """A setup request that must succeed; answers its JSON body (or None)."""
        response = await self.call(method, path, who, **kwargs)
        assert response.status_code == status, f"setup {method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content and "json" in response.headers.get("content-type", "") else None

    # -- disposable resources -------------------------------------------------------------
    async def user(self) -> Account:
        return await self.api.user(f"matrix{serial()}")

    async def book(self, *, inventory: int = 5) -> int:
        body = {
            "title": f"Matrix book {serial()}",
            "author": "Ann Author",
            "publish_year": 2001,
            "inventory": inventory,
            "daily_fee_cents": 100,
        }
        return int((await self.ok("POST", "/api/books", self.admin, 201, json=body))["id"])

    async def borrowing(self, who: Account, book_id: int | None = None) -> dict[str, Any]:
        book_id = book_id or await self.book()
        body = {"book_id": book_id, "expected_return_date": (datetime.now(UTC).date() + timedelta(days=7)).isoformat()}
        return dict(await self.ok("POST", "/api/borrowings", who, 201, json=body))

    async def task(self, who: Account) -> int:
        due = datetime.now(UTC).date() + timedelta(days=30)
        body = {"name": f"Matrix task {serial()}", "due_date": due.isoformat()}
        return int((await self.ok("POST", "/api/tasks", who, 201, json=body))["id"])

    async def category(self, who: Account) -> int:
        body = {"name": f"Matrix {serial()}", "color": "#336699"}
        return int((await self.ok("POST", "/api/focus/categories", who, 201, json=body))["id"])

    async def organization(self, who: Account, *members: Account) -> int:
        body = {"title": f"Matrix club {serial()}", "member_ids": [member.id for member in members]}
        return int((await self.ok("POST", "/api/organizations", who, 201, json=body))["id"])

    async def reading_session(self, who: Account, book_id: int) -> int:
        started = datetime.now(UTC) - timedelta(hours=2)
        body = {
            "user_id": who.id,
            "book_id": book_id,
            "started_at": started.isoformat(),
            "ended_at": (started + timedelta(minutes=30)).isoformat(),
        }
        return int((await self.ok("POST", "/api/reading-sessions", self.admin, 201, json=body))["id"])

    async def expire_payment(self, payment_id: int) -> None:
        """Mark a payment EXPIRED as the expiry job would once its checkout lapsed (24 h away)."""
        async with self.engine.begin() as conn:
            await conn.execute(update(payments).where(payments.c.id == payment_id).values(status="EXPIRED"))

    async def email_change_token(self, who: Account) -> str:
        """Ask for an email change as ``who`` and read the token from the queued email."""
        new_email = f"moved{serial()}@example.org"
        await self.ok("POST", "/api/users/me/email", who, 202, json={"new_email": new_email})
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(outbox.c.payload).order_by(outbox.c.id.desc()))).scalars().all()
        for payload in rows:
            found = re.search(r"Token: ([A-Za-z0-9_\-]+)", str(payload))
            if found and new_email in str(payload):
                return found.group(1)
        msg = f"no confirmation email to {new_email} in the outbox"
        raise AssertionError(msg)


async def build_world(api: Api, engine: AsyncEngine) -> World:
    """Accounts and one of each shared resource; ``ids`` names them for the rows' paths."""
    world = World(
        api=api,
        engine=engine,
        owner=await api.user("owner"),
        other=await api.user("other"),
        admin=await api.user("admin", admin=True),
        bystander=await api.user("bystander"),
    )
    owner = world.owner
    book_id = await world.book()
    borrowing = await world.borrowing(owner, book_id)
    message = await world.ok(
        "POST", "/api/chat/messages", world.bystander, 201, json={"recipient_id": owner.id, "text": "hello"}
    )
    organization_id = await world.organization(owner)
    event = await world.ok(
        "POST",
        "/api/events",
        owner,
        202,
        json={"title": "Matrix fair", "date": (datetime.now(UTC).date() + timedelta(days=40)).isoformat()},
    )
    assert event["id"] in await publish(world.container), "the event publishes at once (no delay configured)"
    world.ids.update(
        book_id=book_id,
        borrowing_id=borrowing["id"],
        payment_id=borrowing["payments"][0]["id"],
        session_id=borrowing["payments"][0]["session_id"],
        reading_session_id=await world.reading_session(owner, book_id),
        task_id=await world.task(owner),
        message_id=message["id"],
        organization_id=organization_id,
        event_id=event["id"],
    )
    return world


async def snapshot(engine: AsyncEngine) -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of all its rows (in primary-key order)."""
    state: dict[str, tuple[int, str]] = {}
    async with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name in VOLATILE_TABLES:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            rows = (await conn.execute(select(table).order_by(*order))).all()
            digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
            state[table.name] = (len(rows), digest)
    return state
