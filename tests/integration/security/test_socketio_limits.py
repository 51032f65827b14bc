"""Socket.IO limits from settings: the per-connection event rate (``SOCKETIO_EVENTS_PER_SECOND``)
and the event size. A refused event writes nothing, and one flooding connection does not
starve another."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from dependency_injector import providers
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import chat_messages
from entrypoints.container import build_container
from entrypoints.socketio.handlers import MAX_EVENT_BYTES
from tests.figures import record
from tests.integration.conftest import make_settings
from tests.integration.socketio.conftest import LiveServer, serve

RATE = 5


@pytest.fixture
async def live(
    database_urls: dict[str, str], backend: str, tmp_path: Path, engine: AsyncEngine
) -> AsyncIterator[LiveServer]:
    settings = make_settings(database_urls[backend], tmp_path, scheduler="off", socketio_events_per_second=RATE)
    container = build_container(settings)
    container.gateways.engine.override(providers.Object(engine))
    async with serve(container) as server:
        yield server


async def stored(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(chat_messages)) or 0)


async def test_the_configured_rate_holds_per_connection_and_refused_events_write_nothing(
    live: LiveServer, engine: AsyncEngine
) -> None:
    ada, bob = await live.person(), await live.person()
    flooding = await live.chatter(ada)
    calm = await live.chatter(ada)  # the same user, another tab

    acks = await asyncio.gather(
        *(flooding.call("send", {"recipient_id": bob.id, "text": f"spam {i}"}) for i in range(6 * RATE))
    )
    accepted = [ack for ack in acks if "id" in ack]
    refused = [ack for ack in acks if "error" in ack]
    record("Socket.IO events refused by rate", len(refused))
    assert RATE <= len(accepted) <= RATE + 2, "a burst of RATE, plus what refilled meanwhile"
    assert {ack["error"]["status"] for ack in refused} == {429}
    assert await stored(engine) == len(accepted), "a refused event writes nothing"

    # The other connection has its own budget, untouched by the flood.
    ack = await calm.call("send", {"recipient_id": bob.id, "text": "hello from the other tab"})
    assert "id" in ack, ack
    # And the flooding one gets its budget back after a second.
    await asyncio.sleep(1.1)
    assert "id" in await flooding.call("send", {"recipient_id": bob.id, "text": "calmer now"})


async def test_an_oversized_event_is_refused_with_413_and_writes_nothing(live: LiveServer, engine: AsyncEngine) -> None:
    ada, bob = await live.person(), await live.person()
    a = await live.chatter(ada)
    ack = await a.call("send", {"recipient_id": bob.id, "text": "hi", "padding": "p" * MAX_EVENT_BYTES})
    assert ack["error"]["status"] == 413
    too_long = await a.call("send", {"recipient_id": bob.id, "text": "x" * 4001})
    assert too_long["error"]["status"] in (400, 422)
    assert await stored(engine) == 0
    record("Socket.IO oversized events refused", 2)
