"""Chat use cases with in-memory fakes: what is stored, who is told, and when."""

from __future__ import annotations

import pytest

from application.errors import Forbidden, NotAuthenticated, NotFound
from application.ports.chat import HistoryRequest
from application.use_cases.chat import (
    JoinRoom,
    ListConversation,
    ListRoomMessages,
    MarkRead,
    SendDirectMessage,
    SendRoomMessage,
    SignalTyping,
)
from domain.chat import ChatMessage, Room
from domain.errors import Conflict, InvalidValue
from domain.shared import UserId
from tests.unit.application.chat_fakes import ChatWorld, FakeChatUnitOfWork, FixedClock, RecordingPublisher

ADA, BOB, EVE, GONE = UserId(1), UserId(2), UserId(3), UserId(4)
ORG = 10


@pytest.fixture
def world() -> ChatWorld:
    return ChatWorld(users={ADA: True, BOB: True, EVE: True, GONE: False}, organizations={ORG: {ADA, BOB}})


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


def send(world: ChatWorld, publisher: RecordingPublisher, *, fail_commit: bool = False) -> SendDirectMessage:
    return SendDirectMessage(lambda: FakeChatUnitOfWork(world, fail_commit=fail_commit), publisher, FixedClock())


async def test_a_message_is_stored_then_pushed_to_both_users_except_the_sending_connection(
    world: ChatWorld, publisher: RecordingPublisher
) -> None:
    message = await send(world, publisher)(sender_id=ADA, recipient_id=BOB, text="hi", origin="sid-1")
    assert world.messages[message.mid].text == "hi"
    [push] = publisher.pushes
    assert (push.to, push.event, push.skip) == ((BOB, ADA), "message", "sid-1")
    assert push.payload == {
        "id": message.mid,
        "sender_id": ADA,
        "recipient_id": BOB,
        "text": "hi",
        "created_at": FixedClock().now(),
    }


async def test_nothing_is_announced_when_the_commit_fails(world: ChatWorld, publisher: RecordingPublisher) -> None:
    with pytest.raises(ConnectionError):
        await send(world, publisher, fail_commit=True)(sender_id=ADA, recipient_id=BOB, text="lost")
    assert publisher.pushes == []
    assert world.messages == {}


async def test_unknown_or_deactivated_recipients_are_not_found(world: ChatWorld, publisher: RecordingPublisher) -> None:
    for recipient in (UserId(99), GONE):
        with pytest.raises(NotFound):
            await send(world, publisher)(sender_id=ADA, recipient_id=recipient, text="hello?")
    with pytest.raises(NotAuthenticated):
        await send(world, publisher)(sender_id=GONE, recipient_id=ADA, text="from beyond")
    with pytest.raises(InvalidValue):
        await send(world, publisher)(sender_id=ADA, recipient_id=BOB, text="   ")
    assert publisher.pushes == []


async def test_room_messages_need_membership(world: ChatWorld, publisher: RecordingPublisher) -> None:
    send_room = SendRoomMessage(lambda: FakeChatUnitOfWork(world), publisher, FixedClock())
    message = await send_room(sender_id=BOB, room=f"org:{ORG}", text="agenda")
    assert publisher.pushes[-1].to == f"org:{ORG}"
    assert publisher.pushes[-1].payload["room"] == f"org:{ORG}"
    assert world.messages[message.mid].room == f"org:{ORG}"
    with pytest.raises(Forbidden):
        await send_room(sender_id=EVE, room=f"org:{ORG}", text="hi")
    with pytest.raises(NotFound):
        await send_room(sender_id=EVE, room="org:11", text="hi")
    await send_room(sender_id=EVE, room="lobby", text="hi all")
    assert len(publisher.pushes) == 2
    for room in ("lobby", f"org:{ORG}"):
        with pytest.raises(NotAuthenticated):
            await send_room(sender_id=GONE, room=room, text="from beyond")
    assert len(world.messages) == 2
    assert len(publisher.pushes) == 2


async def test_a_room_message_refused_by_a_state_that_changed_since_asks_to_send_again(
    world: ChatWorld, publisher: RecordingPublisher
) -> None:
    """The insert refused it (EVE was not a member), the checks after it pass (she is now):
    neither a 403 nor a message stored behind the refusal's back."""

    class JoinsJustAfterTheInsert(FakeChatUnitOfWork):
        def __init__(self) -> None:
            super().__init__(world)
            refuse = self.chat.add_to_room

            async def add_to_room(message: ChatMessage, room: Room) -> ChatMessage | None:
                stored = await refuse(message, room)
                world.organizations[ORG].add(EVE)
                return stored

            self.chat.add_to_room = add_to_room  # type: ignore[method-assign]

    send_room = SendRoomMessage(JoinsJustAfterTheInsert, publisher, FixedClock())
    with pytest.raises(Conflict):
        await send_room(sender_id=EVE, room=f"org:{ORG}", text="am I in?")
    assert world.messages == {}
    assert publisher.pushes == []


async def test_joining_is_authorization_only(world: ChatWorld) -> None:
    join = JoinRoom(lambda: FakeChatUnitOfWork(world))
    assert (await join(user_id=EVE, room="lobby")).name == "lobby"
    assert (await join(user_id=ADA, room=f"org:{ORG}")).organization_id == ORG
    with pytest.raises(Forbidden):
        await join(user_id=EVE, room=f"org:{ORG}")
    with pytest.raises(InvalidValue):
        await join(user_id=EVE, room="user:1")


async def test_marking_read_tells_the_sender_once(world: ChatWorld, publisher: RecordingPublisher) -> None:
    message = await send(world, publisher)(sender_id=ADA, recipient_id=BOB, text="read me")
    mark = MarkRead(lambda: FakeChatUnitOfWork(world), publisher, FixedClock())
    with pytest.raises(Forbidden):
        await mark(user_id=ADA, message_id=message.mid)
    with pytest.raises(NotFound):
        await mark(user_id=EVE, message_id=message.mid)
    read = await mark(user_id=BOB, message_id=message.mid)
    assert world.messages[message.mid].read_at == read.read_at == FixedClock().now()
    await mark(user_id=BOB, message_id=message.mid)
    receipts = [push for push in publisher.pushes if push.event == "read"]
    assert [(p.to, p.payload["message_id"]) for p in receipts] == [((ADA,), message.mid)]


async def test_typing_goes_to_the_recipient_only(publisher: RecordingPublisher) -> None:
    typing = SignalTyping(publisher)
    await typing(user_id=ADA, recipient_id=BOB)
    await typing(user_id=ADA, recipient_id=ADA)
    assert [(p.to, p.event, p.payload) for p in publisher.pushes] == [((BOB,), "typing", {"user_id": ADA})]


async def test_histories_page_newest_first_and_count_everything(
    world: ChatWorld, publisher: RecordingPublisher
) -> None:
    sent = [await send(world, publisher)(sender_id=ADA, recipient_id=BOB, text=str(n)) for n in range(5)]
    await send(world, publisher)(sender_id=EVE, recipient_id=BOB, text="other conversation")
    listing = ListConversation(lambda: FakeChatUnitOfWork(world))
    page = await listing(user_id=BOB, other_id=ADA, page=HistoryRequest(limit=2, before_id=sent[3].mid))
    assert [m.text for m in page.items] == ["2", "1"]
    assert page.total == 5
    with pytest.raises(NotFound):
        await listing(user_id=BOB, other_id=UserId(99), page=HistoryRequest())
    rooms = ListRoomMessages(lambda: FakeChatUnitOfWork(world))
    with pytest.raises(Forbidden):
        await rooms(user_id=EVE, room=f"org:{ORG}", page=HistoryRequest())
    assert (await rooms(user_id=EVE, room="lobby", page=HistoryRequest())).total == 0
