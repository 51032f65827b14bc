"""With Redis, Socket.IO fans out across processes: two app servers, one client on each; and
a process without a Socket.IO server (``athenaeum scheduler``) still reaches the clients."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from dependency_injector import providers
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.container import App, build_container, close_gateways
from entrypoints.settings import Settings
from tests.integration.conftest import make_settings
from tests.integration.socketio.conftest import add_organization, serve

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_settings(backend: str, database_urls: dict[str, str], tmp_path: Path, redis_url: str) -> Settings:
    # Pub/sub channels ignore the Redis database number: a channel per test keeps runs apart.
    return make_settings(
        database_urls[backend],
        tmp_path,
        scheduler="off",
        redis_url=redis_url,
        socketio_channel=f"athenaeum-test-{uuid.uuid4().hex}",
    )


def app_container(settings: Settings, engine: AsyncEngine) -> App:
    container = build_container(settings)
    container.gateways.engine.override(providers.Object(engine))
    return container


async def test_clients_of_two_servers_exchange_messages(redis_settings: Settings, engine: AsyncEngine) -> None:
    async with (
        serve(app_container(redis_settings, engine)) as first,
        serve(app_container(redis_settings, engine)) as second,
    ):
        assert first.url != second.url
        ada, bob = await first.person(), await second.person()
        a, b = await first.chatter(ada), await second.chatter(bob)
        ada_elsewhere = await second.chatter(ada)

        ack = await a.call("send", {"recipient_id": bob.id, "text": "across processes"})
        got = await b.next("message")
        assert (got["id"], got["sender_id"], got["text"]) == (ack["id"], ada.id, "across processes")
        assert (await ada_elsewhere.next("message"))["id"] == ack["id"]  # her socket on the other server
        await a.nothing("message")  # skip_sid holds across servers too

        reply = await b.call("send", {"recipient_id": ada.id, "text": "and back"})
        assert (await a.next("message"))["id"] == reply["id"]

        await b.emit("typing", {"recipient_id": ada.id})
        assert await a.next("typing") == {"user_id": bob.id}
        await b.call("read", {"message_id": ack["id"]})
        assert (await a.next("read"))["message_id"] == ack["id"]

        org = await add_organization(engine, ada.id, bob.id)
        await a.call("join", {"room": f"org:{org}"})
        await b.call("join", {"room": f"org:{org}"})
        sent = await b.call("send_room", {"room": f"org:{org}", "text": "room across processes"})
        assert (await a.next("room_message"))["id"] == sent["id"]


async def test_a_process_without_a_socket_server_pushes_through_redis(
    redis_settings: Settings, engine: AsyncEngine
) -> None:
    async with serve(app_container(redis_settings, engine)) as server:
        ada = await server.person()
        a = await server.chatter(ada)

        scheduler_process = app_container(redis_settings, engine)  # what `athenaeum scheduler` builds
        try:
            publisher = scheduler_process.gateways.publisher()
            await publisher.to_users([ada.id], "focus:break", {"session_id": 7, "break_minutes": 5})
        finally:
            await close_gateways(scheduler_process)
        assert await a.next("focus:break") == {"session_id": 7, "break_minutes": 5}
