"""The chat over real Socket.IO connections to the real app on a local port."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import socketio
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import users
from domain.shared import UserId
from entrypoints.container import App
from tests.integration.socketio.conftest import Chatter, LiveServer, RecordingService, add_organization, serve


async def refused(live: LiveServer, **connect: object) -> str:
    chatter = Chatter()
    with pytest.raises(socketio.exceptions.ConnectionError) as caught:
        await chatter.connect(live.url, **connect)  # type: ignore[arg-type]
    return str(caught.value)


# -- connecting


async def test_a_connection_without_a_token_is_refused(live: LiveServer) -> None:
    assert "failed to connect" in await refused(live)


async def test_a_connection_with_a_bad_or_expired_token_is_refused(live: LiveServer) -> None:
    person = await live.person()
    await refused(live, token="not-a-jwt")
    await refused(live, headers={"Authorization": "Bearer not-a-jwt"})
    await refused(live, headers={"Authorization": f"Basic {person.access}"})
    codec = live.container.gateways.tokens()
    clock = live.container.gateways.clock()
    expired = codec.encode_access(UserId(person.id), clock.now() - timedelta(hours=1))
    await refused(live, token=expired)


async def test_the_refusal_carries_a_problem_body(live: LiveServer) -> None:
    chatter = Chatter()
    errors: list[object] = []
    chatter.sio.on("connect_error", errors.append, namespace="/chat")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await chatter.connect(live.url, token="garbage")
    assert errors
    assert errors[0]["data"]["status"] == 401  # type: ignore[index]
    assert errors[0]["data"]["type"].endswith("not-authenticated")  # type: ignore[index]


async def test_a_token_in_the_authorization_header_connects(live: LiveServer) -> None:
    ada, bob = await live.person(), await live.person()
    by_header = await live.chatter(ada, headers=ada.headers)
    other = await live.chatter(bob)
    await other.call("send", {"recipient_id": ada.id, "text": "hi"})
    assert (await by_header.next("message"))["text"] == "hi"


async def test_a_deactivated_user_cannot_connect_and_an_open_socket_cannot_send(
    live: LiveServer, engine: AsyncEngine
) -> None:
    ada, bob = await live.person(), await live.person()
    open_socket = await live.chatter(ada)
    async with engine.begin() as conn:
        await conn.execute(update(users).where(users.c.id == ada.id).values(is_active=False))
    await refused(live, token=ada.access)
    ack = await open_socket.call("send", {"recipient_id": bob.id, "text": "still here?"})
    assert ack["error"]["status"] == 401


async def test_a_message_to_a_deactivated_account_is_not_found_and_not_stored(
    live: LiveServer, engine: AsyncEngine
) -> None:
    ada, bob = await live.person(), await live.person()
    a = await live.chatter(ada)
    assert "id" in await a.call("send", {"recipient_id": bob.id, "text": "before"})
    async with engine.begin() as conn:
        await conn.execute(update(users).where(users.c.id == bob.id).values(is_active=False))
    ack = await a.call("send", {"recipient_id": bob.id, "text": "after"})
    assert ack["error"]["status"] == 404
    history = await live.http.get(f"/api/chat/messages/{bob.id}", headers=ada.headers)
    assert [item["text"] for item in history.json()["items"]] == ["before"]


async def test_a_foreign_origin_is_refused_and_the_same_origin_is_not(live: LiveServer) -> None:
    ada = await live.person()
    await refused(live, headers={"Origin": "https://evil.example", "Authorization": f"Bearer {ada.access}"})
    await live.chatter(ada, headers={"Origin": live.url, "Authorization": f"Bearer {ada.access}"})


# -- direct messages


async def test_two_users_exchange_messages_with_acks(live: LiveServer) -> None:
    ada, bob = await live.person(), await live.person()
    a, b = await live.chatter(ada), await live.chatter(bob)

    ack = await a.call("send", {"recipient_id": bob.id, "text": "Hello Bob"})
    assert set(ack) == {"id", "created_at"}
    got = await b.next("message")
    assert got == {
        "id": ack["id"],
        "sender_id": ada.id,
        "recipient_id": bob.id,
        "text": "Hello Bob",
        "created_at": ack["created_at"],
    }

    reply = await b.call("send", {"recipient_id": ada.id, "text": "Hi Ada"})
    got = await a.next("message")
    assert (got["id"], got["sender_id"], got["text"]) == (reply["id"], bob.id, "Hi Ada")
    assert reply["id"] > ack["id"]
    await a.nothing("message")  # the sender's own socket gets the ack, not an echo


async def test_a_user_with_two_sockets_gets_their_own_message_on_the_other(live: LiveServer) -> None:
    ada, bob = await live.person(), await live.person()
    phone, laptop = await live.chatter(ada), await live.chatter(ada)
    b = await live.chatter(bob)

    ack = await phone.call("send", {"recipient_id": bob.id, "text": "sent from the phone"})
    mirrored = await laptop.next("message")
    assert (mirrored["id"], mirrored["sender_id"], mirrored["recipient_id"]) == (ack["id"], ada.id, bob.id)
    assert (await b.next("message"))["id"] == ack["id"]
    await phone.nothing("message")


async def test_a_message_sent_over_http_is_delivered_live(live: LiveServer) -> None:
    ada, bob = await live.person(), await live.person()
    a, b = await live.chatter(ada), await live.chatter(bob)
    response = await live.http.post(
        "/api/chat/messages", json={"recipient_id": bob.id, "text": "by HTTP"}, headers=ada.headers
    )
    assert response.status_code == 201, response.text
    sent = response.json()
    assert (await b.next("message"))["id"] == sent["id"]
    assert (await a.next("message"))["id"] == sent["id"]  # no socket sent it: every socket of the sender hears


async def test_sending_wrong_messages_gets_error_acks(live: LiveServer) -> None:
    ada, bob = await live.person(), await live.person()
    a = await live.chatter(ada)

    async def error_of(payload: object) -> dict[str, object]:
        ack = await a.call("send", payload)
        assert set(ack) == {"error"}, ack
        problem = ack["error"]
        assert {"type", "title", "status", "detail"} <= set(problem)
        return problem  # type: ignore[no-any-return]

    assert (await error_of({"recipient_id": bob.id, "text": "   \n"}))["status"] == 422
    too_long = await error_of({"recipient_id": bob.id, "text": "x" * 4001})
    assert too_long["status"] == 400
    assert too_long["errors"][0]["field"] == "text"  # type: ignore[index]
    assert (await error_of({"recipient_id": 999_999, "text": "anyone?"}))["status"] == 404
    assert (await error_of({"recipient_id": ada.id, "text": "note to self"}))["status"] == 422
    assert (await error_of({"recipient_id": bob.id, "text": "nul \x00 byte"}))["status"] == 422
    assert (await error_of({"recipient_id": str(bob.id), "text": "hi"}))["status"] == 400
    assert (await error_of({"recipient_id": 2**70, "text": "hi"}))["status"] == 400
    assert (await error_of({"recipient_id": bob.id, "text": "hi", "extra": 1}))["status"] == 400
    assert (await error_of("just a string"))["status"] == 400
    assert (await error_of(None))["status"] == 400
    assert (await error_of({"recipient_id": bob.id, "text": "hi", "padding": "p" * 40_000}))["status"] == 413
    # None of this stored anything.
    history = await live.http.get(f"/api/chat/messages/{bob.id}", headers=ada.headers)
    assert history.json()["total"] == 0


async def test_exactly_4000_characters_of_emoji_are_accepted(live: LiveServer) -> None:
    ada, bob = await live.person(), await live.person()
    a, b = await live.chatter(ada), await live.chatter(bob)
    text = "📚" * 4000
    ack = await a.call("send", {"recipient_id": bob.id, "text": text})
    assert "id" in ack, ack
    assert (await b.next("message"))["text"] == text


async def test_a_connection_that_floods_is_rate_limited(live: LiveServer) -> None:
    ada, bob = await live.person(), await live.person()
    a = await live.chatter(ada)
    acks = await asyncio.gather(*(a.call("typing", {"recipient_id": bob.id}) for _ in range(40)))
    limited = [ack for ack in acks if "error" in ack]
    assert 0 < len(limited) <= 20, "40 events at once exceed the burst of 20"
    assert limited[0]["error"]["status"] == 429
    assert limited[0]["error"]["retry_after"] == 1
    assert acks.count({"ok": True}) >= 20


async def test_a_packet_over_the_transport_cap_closes_the_connection(live: LiveServer) -> None:
    ada, bob = await live.person(), await live.person()
    a = await live.chatter(ada)
    await a.emit("send", {"recipient_id": bob.id, "text": "x" * 100_000})
    for _ in range(100):
        if not a.sio.connected:
            break
        await a.sio.sleep(0.05)
    assert not a.sio.connected


# -- typing and read receipts


async def test_typing_reaches_the_recipient(live: LiveServer) -> None:
    ada, bob = await live.person(), await live.person()
    a, b = await live.chatter(ada), await live.chatter(bob)
    await a.emit("typing", {"recipient_id": bob.id})
    assert await b.next("typing") == {"user_id": ada.id}
    await a.nothing("typing")


async def test_the_recipient_marks_a_message_read_and_the_sender_hears_it(live: LiveServer) -> None:
    ada, bob, eve = await live.person(), await live.person(), await live.person()
    a, b, e = await live.chatter(ada), await live.chatter(bob), await live.chatter(eve)
    sent = await a.call("send", {"recipient_id": bob.id, "text": "read me"})
    await b.next("message")

    assert (await a.call("read", {"message_id": sent["id"]}))["error"]["status"] == 403  # the sender
    assert (await e.call("read", {"message_id": sent["id"]}))["error"]["status"] == 404  # a stranger
    assert (await b.call("read", {"message_id": 999_999}))["error"]["status"] == 404

    ack = await b.call("read", {"message_id": sent["id"]})
    assert ack["message_id"] == sent["id"]
    receipt = await a.next("read")
    assert receipt == {"message_id": sent["id"], "read_at": ack["read_at"]}

    again = await b.call("read", {"message_id": sent["id"]})
    assert again["read_at"] == ack["read_at"]  # the first reading counts
    await a.nothing("read")
    history = (await live.http.get(f"/api/chat/messages/{ada.id}", headers=bob.headers)).json()
    assert history["items"][0]["read_at"] == ack["read_at"]


# -- rooms


async def test_a_non_member_cannot_join_an_organization_room_and_a_member_can(
    live: LiveServer, engine: AsyncEngine
) -> None:
    ada, bob, eve = await live.person(), await live.person(), await live.person()
    org = await add_organization(engine, ada.id, bob.id)
    a, b, e = await live.chatter(ada), await live.chatter(bob), await live.chatter(eve)
    room = f"org:{org}"

    refusal = await e.call("join", {"room": room})
    assert refusal["error"]["status"] == 403
    assert (await e.call("join", {"room": "org:999999"}))["error"]["status"] == 404
    assert (await e.call("join", {"room": "user:1"}))["error"]["status"] == 422
    assert (await e.call("send_room", {"room": room, "text": "let me in"}))["error"]["status"] == 403

    assert await a.call("join", {"room": room}) == {"ok": True}
    assert await b.call("join", {"room": room}) == {"ok": True}
    ack = await b.call("send_room", {"room": room, "text": "Meeting at six"})
    expected = {
        "id": ack["id"],
        "room": room,
        "sender_id": bob.id,
        "text": "Meeting at six",
        "created_at": ack["created_at"],
    }
    assert await a.next("room_message") == expected
    assert await b.next("room_message") == expected  # everyone in the room, the sender included
    await e.nothing("room_message")

    assert await a.call("leave", {"room": room}) == {"ok": True}
    await b.call("send_room", {"room": room, "text": "Ada left"})
    await b.next("room_message")
    await a.nothing("room_message")


async def test_every_signed_in_user_may_join_the_lobby(live: LiveServer) -> None:
    ada, bob = await live.person(), await live.person()
    a, b = await live.chatter(ada), await live.chatter(bob)
    await b.call("send_room", {"room": "lobby", "text": "before anyone listened"})
    await a.nothing("room_message", wait=0.1)  # rooms are joined explicitly
    assert await a.call("join", {"room": "lobby"}) == {"ok": True}
    await b.call("send_room", {"room": "lobby", "text": "hello lobby"})
    assert (await a.next("room_message"))["text"] == "hello lobby"
    history = (await live.http.get("/api/chat/rooms/lobby/messages", headers=ada.headers)).json()
    assert [item["text"] for item in history["items"]] == ["hello lobby", "before anyone listened"]


async def test_a_member_sees_the_room_history_over_http_and_others_do_not(
    live: LiveServer, engine: AsyncEngine
) -> None:
    ada, eve = await live.person(), await live.person()
    org = await add_organization(engine, ada.id)
    a = await live.chatter(ada)
    for text in ("one", "two", "three"):
        await a.call("send_room", {"room": f"org:{org}", "text": text})
    mine = await live.http.get(f"/api/chat/rooms/org:{org}/messages", params={"limit": 2}, headers=ada.headers)
    assert mine.status_code == 200, mine.text
    assert [item["text"] for item in mine.json()["items"]] == ["three", "two"]
    assert mine.json()["total"] == 3
    theirs = await live.http.get(f"/api/chat/rooms/org:{org}/messages", headers=eve.headers)
    assert theirs.status_code == 403


# -- history


async def test_history_over_http_matches_what_was_sent(live: LiveServer) -> None:
    ada, bob, eve = await live.person(), await live.person(), await live.person()
    a, b = await live.chatter(ada), await live.chatter(bob)
    e = await live.chatter(eve)
    sent = []
    for n in range(7):
        sender, recipient = (a, bob) if n % 2 == 0 else (b, ada)
        ack = await sender.call("send", {"recipient_id": recipient.id, "text": f"message {n}"})
        sent.append((ack["id"], sender.id, recipient.id, f"message {n}", ack["created_at"]))
    await e.call("send", {"recipient_id": ada.id, "text": "not part of it"})

    newest_first = list(reversed(sent))
    first = (await live.http.get(f"/api/chat/messages/{bob.id}", params={"limit": 3}, headers=ada.headers)).json()
    assert first["total"] == 7
    assert (first["limit"], first["offset"]) == (3, 0)
    page = [(m["id"], m["sender_id"], m["recipient_id"], m["text"], m["created_at"]) for m in first["items"]]
    assert page == newest_first[:3]

    seen = [m["id"] for m in first["items"]]
    while True:
        response = await live.http.get(
            f"/api/chat/messages/{bob.id}", params={"limit": 3, "before_id": seen[-1]}, headers=ada.headers
        )
        items = response.json()["items"]
        if not items:
            break
        assert response.json()["total"] == 7
        seen += [m["id"] for m in items]
    assert seen == [message[0] for message in newest_first]

    # Bob sees the same conversation from his side; Eve's message to Ada is not in it.
    bobs = (await live.http.get(f"/api/chat/messages/{ada.id}", params={"limit": 100}, headers=bob.headers)).json()
    assert [m["id"] for m in bobs["items"]] == seen


# -- the app around it


async def test_the_lifespan_still_runs_behind_the_socketio_wrapper(container: App) -> None:
    service = RecordingService()
    async with serve(container, services=[service]) as live:
        assert service.events == ["start"]
        assert (await live.http.get("/health")).status_code == 200
    assert service.events == ["start", "stop"]


async def test_the_connection_gauge_follows_connects_and_disconnects(live: LiveServer) -> None:
    def gauge() -> float:
        value = live.container.gateways.metrics().socket_connections._value.get()
        return float(value)

    ada = await live.person()
    first, second = await live.chatter(ada), await live.chatter(ada)
    assert gauge() == 2
    await first.emit("disconnect", {"not": "really"})  # an event of that name is no disconnection
    await first.emit("connect", {"HTTP_AUTHORIZATION": "Bearer x"})
    await first.sio.sleep(0.2)
    assert gauge() == 2
    await second.close()
    for _ in range(50):
        if gauge() == 1:
            break
        await first.sio.sleep(0.02)
    assert gauge() == 1
    metrics = (await live.http.get("/metrics")).text
    assert "athenaeum_socketio_connections 1.0" in metrics
