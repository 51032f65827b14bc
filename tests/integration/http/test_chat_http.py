"""``/api/chat`` over HTTP: who may read what, paging, validation."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import users
from tests.integration.socketio.conftest import add_organization
from tests.integration.support import Account, Api, assert_problem


async def send(api: Api, sender: Account, recipient_id: int, text: str) -> dict[str, object]:
    response = await api.client.post(
        "/api/chat/messages", json={"recipient_id": recipient_id, "text": text}, headers=sender.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_sending_returns_the_stored_message(api: Api) -> None:
    ada, bob = await api.user(), await api.user()
    message = await send(api, ada, bob.id, "  indented\nand multi-line  ")
    assert message["sender_id"] == ada.id
    assert message["recipient_id"] == bob.id
    assert message["text"] == "  indented\nand multi-line  "  # stored as sent
    assert message["read_at"] is None
    assert str(message["created_at"]).endswith("Z")


async def test_invalid_messages_are_refused(api: Api, engine: AsyncEngine) -> None:
    ada, bob = await api.user(), await api.user()

    async def post(body: object) -> object:
        return await api.client.post("/api/chat/messages", json=body, headers=ada.headers)

    assert_problem(await post({"recipient_id": bob.id, "text": " \t "}), 422, field="text")
    assert_problem(await post({"recipient_id": bob.id, "text": ""}), 400, field="text")
    assert_problem(await post({"recipient_id": bob.id, "text": "x" * 4001}), 400, field="text")
    assert_problem(await post({"recipient_id": bob.id, "text": "a\x00b"}), 422, field="text")
    assert_problem(await post({"recipient_id": ada.id, "text": "me"}), 422, field="recipient_id")
    assert_problem(await post({"recipient_id": 0, "text": "hi"}), 400)
    assert_problem(await post({"recipient_id": 2**64, "text": "hi"}), 400)
    assert_problem(await post({"recipient_id": 424242, "text": "hi"}), 404)
    assert_problem(await post({"recipient_id": bob.id}), 400)
    async with engine.begin() as conn:
        await conn.execute(update(users).where(users.c.id == bob.id).values(is_active=False))
    assert_problem(await post({"recipient_id": bob.id, "text": "are you there?"}), 404)


async def test_chat_needs_a_token(api: Api) -> None:
    assert_problem(await api.client.get("/api/chat/messages/1"), 401)
    assert_problem(await api.client.post("/api/chat/messages", json={"recipient_id": 1, "text": "hi"}), 401)
    assert_problem(await api.client.get("/api/chat/rooms/lobby/messages"), 401)


async def test_a_conversation_is_only_the_two_users_and_pages_by_before_id(api: Api) -> None:
    ada, bob, eve = await api.user(), await api.user(), await api.user()
    ids = []
    for n in range(5):
        sender, recipient = (ada, bob) if n % 2 == 0 else (bob, ada)
        ids.append((await send(api, sender, recipient.id, f"m{n}"))["id"])
    await send(api, eve, ada.id, "from eve")
    await send(api, eve, bob.id, "from eve to bob")

    response = await api.client.get(f"/api/chat/messages/{bob.id}", params={"limit": 2}, headers=ada.headers)
    body = response.json()
    assert [m["id"] for m in body["items"]] == ids[::-1][:2]
    assert (body["total"], body["limit"], body["offset"]) == (5, 2, 0)

    response = await api.client.get(
        f"/api/chat/messages/{bob.id}", params={"limit": 2, "before_id": ids[3]}, headers=ada.headers
    )
    assert [m["id"] for m in response.json()["items"]] == [ids[2], ids[1]]
    assert response.json()["total"] == 5

    # Eve's conversation with Ada holds only Eve's message: she cannot read Ada's talk with Bob.
    eves = (await api.client.get(f"/api/chat/messages/{ada.id}", headers=eve.headers)).json()
    assert [m["text"] for m in eves["items"]] == ["from eve"]

    assert_problem(await api.client.get("/api/chat/messages/424242", headers=ada.headers), 404)
    assert_problem(
        await api.client.get(f"/api/chat/messages/{bob.id}", params={"limit": 101}, headers=ada.headers), 400
    )
    assert_problem(
        await api.client.get(f"/api/chat/messages/{bob.id}", params={"before_id": 0}, headers=ada.headers), 400
    )
    assert_problem(await api.client.get(f"/api/chat/messages/{2**64}", headers=ada.headers), 400)
    empty = await api.client.get(f"/api/chat/messages/{ada.id}", headers=ada.headers)
    assert empty.json()["items"] == []


async def test_only_the_recipient_marks_a_message_read(api: Api) -> None:
    ada, bob, eve = await api.user(), await api.user(), await api.user()
    message = await send(api, ada, bob.id, "read me")
    path = f"/api/chat/messages/{message['id']}/read"
    assert_problem(await api.client.post(path, headers=ada.headers), 403)
    assert_problem(await api.client.post(path, headers=eve.headers), 404)
    response = await api.client.post(path, headers=bob.headers)
    assert response.status_code == 200, response.text
    assert response.json()["message_id"] == message["id"]
    again = await api.client.post(path, headers=bob.headers)
    assert again.json()["read_at"] == response.json()["read_at"]


async def test_room_history_is_for_members_only(api: Api, engine: AsyncEngine) -> None:
    ada, eve = await api.user(), await api.user()
    org = await add_organization(engine, ada.id)
    send_room = api.container.chat.send_room_message()
    for text in ("first", "second", "third"):
        await send_room(sender_id=ada.id, room=f"org:{org}", text=text)  # type: ignore[arg-type]

    mine = await api.client.get(f"/api/chat/rooms/org:{org}/messages", headers=ada.headers)
    assert [m["text"] for m in mine.json()["items"]] == ["third", "second", "first"]
    assert mine.json()["items"][0]["room"] == f"org:{org}"
    encoded = await api.client.get(f"/api/chat/rooms/org%3A{org}/messages", headers=ada.headers)
    assert encoded.status_code == 200
    oldest = mine.json()["items"][1]["id"]
    older = await api.client.get(
        f"/api/chat/rooms/org:{org}/messages", params={"before_id": oldest}, headers=ada.headers
    )
    assert [m["text"] for m in older.json()["items"]] == ["first"]
    assert older.json()["total"] == 3

    assert_problem(await api.client.get(f"/api/chat/rooms/org:{org}/messages", headers=eve.headers), 403)
    assert_problem(await api.client.get("/api/chat/rooms/org:424242/messages", headers=eve.headers), 404)
    assert_problem(await api.client.get("/api/chat/rooms/kitchen/messages", headers=eve.headers), 422, field="room")
    assert_problem(await api.client.get("/api/chat/rooms/org:007/messages", headers=eve.headers), 422, field="room")
    lobby = await api.client.get("/api/chat/rooms/lobby/messages", headers=eve.headers)
    assert lobby.status_code == 200
    assert lobby.json() == {"items": [], "total": 0, "limit": 20, "offset": 0}


async def test_the_chat_endpoints_are_documented(api: Api) -> None:
    schema = (await api.client.get("/schema/openapi.json")).json()
    operations = {
        operation["operationId"]: operation
        for path in schema["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for name in ("ListConversation", "SendMessage", "MarkMessageRead", "ListRoomMessages"):
        assert operations[name]["tags"] == ["Chat"]
        assert operations[name]["security"] == [{"BearerAuth": []}]
        assert operations[name]["summary"]
