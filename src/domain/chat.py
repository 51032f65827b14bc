"""Chat: direct messages between two users, and messages in rooms.

Rules (the contract's "Chat" section, plus the choices it leaves open):

* A message's text is 1 to 4000 characters, kept exactly as sent (indentation and line
  breaks matter in chat), but it must contain something besides white space, and it
  cannot contain the NUL character (no database stores it as text).
* A direct message has one sender and one other user as recipient: nobody messages
  themselves.
* Rooms are ``lobby`` (every signed-in user) or ``org:<id>`` (the members of that
  organization). No other name is a room, so a client can never name a per-user
  delivery channel (``user:<id>``) as a room.
* A direct message is visible to its sender and its recipient only; only the recipient
  may mark it read, once (marking it again keeps the first moment).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from domain.errors import InvalidValue
from domain.shared import UserId

MAX_TEXT = 4000
MAX_ROOM_NAME = 64
LOBBY = "lobby"
_ORG_ROOM = re.compile(r"org:([1-9][0-9]{0,17})")


def validate_text(raw: str) -> str:
    """The text of a message, as it will be stored; raises ``InvalidValue("text", …)``."""
    if len(raw) > MAX_TEXT:
        raise InvalidValue("text", f"A message has at most {MAX_TEXT} characters.")
    if not raw.strip():
        raise InvalidValue("text", "A message cannot be empty or only white space.")
    if "\x00" in raw:
        raise InvalidValue("text", "A message cannot contain the NUL character.")
    return raw


@dataclass(frozen=True, slots=True)
class Room:
    """A chat room: the lobby, or the room of one organization."""

    name: str
    organization_id: int | None = None

    @classmethod
    def lobby(cls) -> Room:
        return cls(LOBBY)

    @classmethod
    def of_organization(cls, organization_id: int) -> Room:
        return cls(f"org:{organization_id}", organization_id)

    @classmethod
    def parse(cls, raw: str) -> Room:
        """``"lobby"`` or ``"org:<id>"`` (a positive id without leading zeros)."""
        if raw == LOBBY:
            return cls.lobby()
        match = _ORG_ROOM.fullmatch(raw)
        if match is None:
            raise InvalidValue("room", 'A room is "lobby" or "org:<organization id>".')
        return cls.of_organization(int(match.group(1)))

    @property
    def open_to_everyone(self) -> bool:
        """The lobby is open to every signed-in user; an organization's room to its members."""
        return self.organization_id is None


@dataclass(slots=True)
class ChatMessage:
    """A message: direct (``recipient_id`` set) or in a room (``room`` set), never both."""

    sender_id: UserId
    text: str
    created_at: datetime
    recipient_id: UserId | None = None
    room: str | None = None
    id: int | None = None
    read_at: datetime | None = None

    @classmethod
    def direct(cls, *, sender_id: UserId, recipient_id: UserId, text: str, now: datetime) -> ChatMessage:
        if sender_id == recipient_id:
            raise InvalidValue("recipient_id", "You cannot send a message to yourself.")
        return cls(sender_id=sender_id, recipient_id=recipient_id, text=validate_text(text), created_at=now)

    @classmethod
    def in_room(cls, *, sender_id: UserId, room: Room, text: str, now: datetime) -> ChatMessage:
        return cls(sender_id=sender_id, room=room.name, text=validate_text(text), created_at=now)

    @property
    def mid(self) -> int:
        if self.id is None:
            msg = "the message has not been saved yet"
            raise RuntimeError(msg)
        return self.id

    @property
    def is_direct(self) -> bool:
        return self.recipient_id is not None

    def involves(self, user_id: UserId) -> bool:
        """Whether ``user_id`` is part of this direct message's conversation (may see it)."""
        return self.is_direct and user_id in {self.sender_id, self.recipient_id}

    def addressed_to(self, user_id: UserId) -> bool:
        """Only the recipient of a direct message may mark it read."""
        return self.is_direct and self.recipient_id == user_id

    def mark_read(self, now: datetime) -> bool:
        """Record the first reading; return whether this call changed anything."""
        if self.read_at is not None:
            return False
        self.read_at = now
        return True
