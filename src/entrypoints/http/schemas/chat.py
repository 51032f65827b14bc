"""Chat request and response bodies (HTTP, and the payloads of the Socket.IO events)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from domain.chat import MAX_ROOM_NAME, MAX_TEXT, ChatMessage
from entrypoints.http.schemas.common import MAX_ID

Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
MessageText = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_TEXT,
        description="1 to 4000 characters, stored as sent; not only white space.",
        examples=["See you at the reading group?"],
    ),
]
RoomName = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=MAX_ROOM_NAME, description='"lobby" or "org:<organization id>"', examples=["lobby"]
    ),
]


class SendMessageRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    recipient_id: Id
    text: MessageText


class RoomRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    room: RoomName


class SendRoomMessageRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    room: RoomName
    text: MessageText


class TypingRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    recipient_id: Id


class ReadRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    message_id: Id


class MessageResponse(msgspec.Struct, kw_only=True):
    """A direct message. ``read_at`` is set once the recipient has read it."""

    id: int
    sender_id: int
    recipient_id: int
    text: str
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, message: ChatMessage) -> MessageResponse:
        return cls(
            id=message.mid,
            sender_id=message.sender_id,
            recipient_id=message.recipient_id or 0,
            text=message.text,
            created_at=message.created_at,
            read_at=message.read_at,
        )


class RoomMessageResponse(msgspec.Struct, kw_only=True):
    id: int
    room: str
    sender_id: int
    text: str
    created_at: datetime

    @classmethod
    def of(cls, message: ChatMessage) -> RoomMessageResponse:
        return cls(
            id=message.mid,
            room=message.room or "",
            sender_id=message.sender_id,
            text=message.text,
            created_at=message.created_at,
        )


class ReadReceiptResponse(msgspec.Struct, kw_only=True):
    message_id: int
    read_at: datetime

    @classmethod
    def of(cls, message: ChatMessage) -> ReadReceiptResponse:
        assert message.read_at is not None  # noqa: S101 - MarkRead returns a read message
        return cls(message_id=message.mid, read_at=message.read_at)


class SentResponse(msgspec.Struct, kw_only=True):
    """The acknowledgement of a Socket.IO ``send``/``send_room``."""

    id: int
    created_at: datetime
