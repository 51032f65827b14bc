"""A writer whose whole work is one statement (``SqlUnitOfWork(one_statement=True)``, given by
the container to direct and room chat messages): on Postgres that statement is its own
transaction, with no BEGIN and no COMMIT round trip; on SQLite it is an ordinary writer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import read_only_view
from adapters.sql.tables import chat_messages, users
from adapters.sql.uow import SqlUnitOfWork
from application.errors import Forbidden, NotAuthenticated, NotFound
from domain.chat import ChatMessage
from domain.shared import UserId
from tests.integration.catalog_support import counting_statements
from tests.integration.socketio.conftest import add_organization
from tests.integration.support import Api, assert_problem


async def _two_users(engine: AsyncEngine) -> tuple[UserId, UserId]:
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        ids = [
            await conn.scalar(
                insert(users)
                .values(username=name, email=f"{name}@example.org", password_hash="x", created_at=now)
                .returning(users.c.id)
            )
            for name in ("ada", "bob")
        ]
    return UserId(ids[0]), UserId(ids[1])


async def _stored(engine: AsyncEngine) -> int:
    async with read_only_view(engine).connect() as other:  # a plain BEGIN on SQLite, not a write lock
        return int(await other.scalar(select(func.count()).select_from(chat_messages)) or 0)


async def test_the_statement_is_its_own_transaction_on_postgres_and_waits_for_commit_on_sqlite(
    engine: AsyncEngine, backend: str
) -> None:
    ada, bob = await _two_users(engine)
    message = ChatMessage.direct(sender_id=ada, recipient_id=bob, text="hello", now=datetime.now(UTC))
    async with SqlUnitOfWork(engine, one_statement=True) as uow:
        assert await uow.chat.add_direct(message) is not None
        # Another connection sees it before commit() on Postgres only: no transaction around it.
        assert await _stored(engine) == (1 if backend == "postgres" else 0)
        await uow.commit()
    assert await _stored(engine) == 1


async def test_a_direct_message_is_one_statement_and_no_begin_on_postgres(
    api: Api, engine: AsyncEngine, backend: str
) -> None:
    """The container gives SendDirectMessage the one-statement writer: this holds it to its
    promise. A second statement here would run outside any transaction on Postgres."""
    ada, bob = await api.user(), await api.user()
    send = api.container.chat.send_direct_message()
    with counting_statements(engine) as statements:
        await send(sender_id=UserId(ada.id), recipient_id=UserId(bob.id), text="hi")
    if backend == "postgres":
        assert len(statements) == 1, statements
        assert statements[0].lstrip().upper().startswith("INSERT")
    else:
        assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
    assert await _stored(engine) == 1


async def test_a_message_to_a_deactivated_account_stores_nothing(api: Api, engine: AsyncEngine) -> None:
    ada, bob = await api.user(), await api.user()
    async with engine.begin() as conn:
        await conn.execute(update(users).where(users.c.id == bob.id).values(is_active=False))
    response = await api.client.post(
        "/api/chat/messages", json={"recipient_id": bob.id, "text": "anyone?"}, headers=ada.headers
    )
    assert_problem(response, 404)
    assert await _stored(engine) == 0


@pytest.mark.parametrize("where", ["lobby", "organization"])
async def test_a_room_message_is_one_statement_and_no_begin_on_postgres(
    api: Api, engine: AsyncEngine, backend: str, where: str
) -> None:
    """The same promise for a room: the sender's account and membership are checked by the
    insert itself, not read before it."""
    ada = await api.user()
    room = "lobby" if where == "lobby" else f"org:{await add_organization(engine, ada.id)}"
    send_room = api.container.chat.send_room_message()
    with counting_statements(engine) as statements:
        message = await send_room(sender_id=UserId(ada.id), room=room, text="hello room")
    if backend == "postgres":
        assert len(statements) == 1, statements
        assert statements[0].lstrip().upper().startswith("INSERT")
    else:
        assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
    assert (message.room, message.sender_id) == (room, ada.id)
    assert await _stored(engine) == 1


async def test_a_refused_room_message_stores_nothing_and_says_why(api: Api, engine: AsyncEngine) -> None:
    ada, eve, gone = await api.user(), await api.user(), await api.user()
    org = await add_organization(engine, ada.id, gone.id)
    async with engine.begin() as conn:
        await conn.execute(update(users).where(users.c.id == gone.id).values(is_active=False))
    send_room = api.container.chat.send_room_message()
    with pytest.raises(Forbidden):
        await send_room(sender_id=UserId(eve.id), room=f"org:{org}", text="let me in")
    with pytest.raises(NotFound):
        await send_room(sender_id=UserId(eve.id), room="org:424242", text="anyone?")
    for room in ("lobby", f"org:{org}"):  # a member, but no longer an active account
        with pytest.raises(NotAuthenticated):
            await send_room(sender_id=UserId(gone.id), room=room, text="from beyond")
    assert await _stored(engine) == 0
    await send_room(sender_id=UserId(ada.id), room=f"org:{org}", text="members only")
    assert await _stored(engine) == 1
