"""Chat use cases: send and read direct messages and room messages, read receipts, typing.

The same use cases serve HTTP and Socket.IO. Writes commit first, then push through the
``EventPublisher``: nobody hears of a message that was rolled back. Realtime events:

* ``message`` ``{id, sender_id, recipient_id, text, created_at}`` to every connection of the
  recipient and of the sender (except the one that sent it, which gets the acknowledgement);
* ``room_message`` ``{id, room, sender_id, text, created_at}`` to every connection in the room;
* ``read`` ``{message_id, read_at}`` to the sender's connections;
* ``typing`` ``{user_id}`` to the recipient's connections.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from application.errors import Forbidden, NotAuthenticated, NotFound
from application.ports.chat import ChatRepository, ChatUnitOfWork, HistoryRequest
from application.ports.clock import Clock
from application.ports.notifications import EventPublisher
from application.results import Page
from domain.chat import ChatMessage, Room
from domain.errors import Conflict
from domain.shared import UserId

UowFactory = Callable[[], ChatUnitOfWork]

MESSAGE = "message"
ROOM_MESSAGE = "room_message"
READ = "read"
TYPING = "typing"


def message_event(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": message.mid,
        "sender_id": message.sender_id,
        "recipient_id": message.recipient_id,
        "text": message.text,
        "created_at": message.created_at,
    }


def room_message_event(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": message.mid,
        "room": message.room,
        "sender_id": message.sender_id,
        "text": message.text,
        "created_at": message.created_at,
    }


async def _ensure_active(chat: ChatRepository, user_id: UserId) -> None:
    """A connection outlives its token check: every write re-checks that its author may still act."""
    if user_id not in await chat.active_user_ids([user_id]):
        raise NotAuthenticated("This account is no longer active.")


async def authorize_room(chat: ChatRepository, user_id: UserId, room: Room) -> None:
    """The lobby is open to every signed-in user; an organization's room to its members
    (403 for an organization you are not in, 404 for one that does not exist)."""
    if room.organization_id is None or await chat.is_member(user_id, room.organization_id):
        return
    if not await chat.organization_exists(room.organization_id):
        raise NotFound("organization", room.organization_id)
    raise Forbidden("Only members of this organization can use its room.")


class SendDirectMessage:
    def __init__(self, uow: UowFactory, publisher: EventPublisher, clock: Clock) -> None:
        self._uow, self._publisher, self._clock = uow, publisher, clock

    async def __call__(
        self, *, sender_id: UserId, recipient_id: UserId, text: str, origin: str | None = None
    ) -> ChatMessage:
        """``origin``: the connection that sent it (it gets the acknowledgement, not the event).

        The write is one statement (``add_direct`` checks both accounts as it inserts), and
        nothing is read before it: the composition root may give this use case a unit of
        work that runs that statement as its own transaction. Keep it so."""
        message = ChatMessage.direct(sender_id=sender_id, recipient_id=recipient_id, text=text, now=self._clock.now())
        async with self._uow() as uow:
            stored = await uow.chat.add_direct(message)  # checks both accounts as it inserts
            if stored is None:
                await _ensure_active(uow.chat, sender_id)
                raise NotFound("user", recipient_id)
            await uow.commit()
        await self._publisher.to_users(
            [recipient_id, sender_id], MESSAGE, message_event(stored), skip_connection=origin
        )
        return stored


class SendRoomMessage:
    def __init__(self, uow: UowFactory, publisher: EventPublisher, clock: Clock) -> None:
        self._uow, self._publisher, self._clock = uow, publisher, clock

    async def __call__(self, *, sender_id: UserId, room: str, text: str) -> ChatMessage:
        """Everyone in the room gets ``room_message``, the sending connection included.

        As for a direct message, the write is one statement (``add_to_room`` checks the sender
        and the membership as it inserts) with nothing read before it, so the composition root
        may run it as its own transaction; the reads after a refusal only name its reason."""
        where = Room.parse(room)
        message = ChatMessage.in_room(sender_id=sender_id, room=where, text=text, now=self._clock.now())
        async with self._uow() as uow:
            stored = await uow.chat.add_to_room(message, where)
            if stored is None:
                await _ensure_active(uow.chat, sender_id)
                await authorize_room(uow.chat, sender_id, where)
                # Both pass now: the account or the membership changed in between.
                raise Conflict("The sender's account or membership changed while sending; send it again.")
            await uow.commit()
        await self._publisher.to_room(where.name, ROOM_MESSAGE, room_message_event(stored))
        return stored


class JoinRoom:
    """Authorization only: may ``user_id`` listen to ``room``? The caller subscribes the connection."""

    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, user_id: UserId, room: str) -> Room:
        where = Room.parse(room)
        if where.open_to_everyone:
            return where
        async with self._uow() as uow:
            await authorize_room(uow.chat, user_id, where)
        return where


class ListConversation:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, user_id: UserId, other_id: UserId, page: HistoryRequest) -> Page[ChatMessage]:
        """The caller's conversation with ``other_id``, newest first (404 for an unknown user)."""
        async with self._uow() as uow:
            if not await uow.chat.user_exists(other_id):
                raise NotFound("user", other_id)
            return await uow.chat.conversation(user_id, other_id, page)


class ListRoomMessages:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, user_id: UserId, room: str, page: HistoryRequest) -> Page[ChatMessage]:
        where = Room.parse(room)
        async with self._uow() as uow:
            await authorize_room(uow.chat, user_id, where)
            return await uow.chat.room_history(where.name, page)


class MarkRead:
    """Only the recipient marks a direct message read; the sender's connections hear ``read``.
    Marking it again changes nothing and tells nobody."""

    def __init__(self, uow: UowFactory, publisher: EventPublisher, clock: Clock) -> None:
        self._uow, self._publisher, self._clock = uow, publisher, clock

    async def __call__(self, *, user_id: UserId, message_id: int) -> ChatMessage:
        async with self._uow() as uow:
            message = await uow.chat.get_for_update(message_id)
            if message is None or not message.involves(user_id):
                raise NotFound("message", message_id)
            if not message.addressed_to(user_id):
                raise Forbidden("Only the recipient can mark a message read.")
            changed = message.mark_read(self._clock.now())
            if changed:
                await uow.chat.save_read(message)
                await uow.commit()
        if changed:
            await self._publisher.to_users(
                [message.sender_id], READ, {"message_id": message.mid, "read_at": message.read_at}
            )
        return message


class SignalTyping:
    """Relay "is typing" to the recipient's connections. Nothing is stored; nothing is checked
    against the database (it is sent often and tells the recipient nothing but a user id)."""

    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def __call__(self, *, user_id: UserId, recipient_id: UserId) -> None:
        if recipient_id != user_id:
            await self._publisher.to_users([recipient_id], TYPING, {"user_id": user_id})
