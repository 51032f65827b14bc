"""Ports of the chat area: the message store and the organization membership it checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from application.ports.uow import UnitOfWork
from application.results import Page
from domain.chat import ChatMessage, Room
from domain.shared import UserId


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    """One page of history, newest first: at most ``limit`` messages older than ``before_id``
    (``None``: from the newest). Keyset paging: a page never shifts when messages arrive."""

    limit: int = 20
    before_id: int | None = None


class ChatRepository(Protocol):
    async def add_direct(self, message: ChatMessage) -> ChatMessage | None:
        """Insert a direct message, with its id, if its sender and recipient are both active
        accounts, in one statement (neither can be deactivated between the check and the
        insert); ``None``, and nothing stored, otherwise."""
        ...

    async def add_to_room(self, message: ChatMessage, room: Room) -> ChatMessage | None:
        """Insert a room message, with its id, if its sender is an active account and, for an
        organization's room, one of its members, in one statement (the check and the insert
        see the same state); ``None``, and nothing stored, otherwise."""
        ...

    async def get_for_update(self, message_id: int) -> ChatMessage | None: ...

    async def save_read(self, message: ChatMessage) -> None:
        """Write back ``read_at``."""
        ...

    async def conversation(self, user_id: UserId, other_id: UserId, page: HistoryRequest) -> Page[ChatMessage]:
        """Direct messages between the two users, newest first; ``total`` counts the whole
        conversation (not only the messages before ``before_id``); ``offset`` is 0."""
        ...

    async def room_history(self, room: str, page: HistoryRequest) -> Page[ChatMessage]:
        """Messages of one room, newest first; ``total`` counts the whole room."""
        ...

    async def active_user_ids(self, user_ids: Iterable[UserId]) -> set[UserId]:
        """Those of ``user_ids`` that belong to existing, active accounts."""
        ...

    async def user_exists(self, user_id: UserId) -> bool:
        """An account with this id exists (active or not)."""
        ...

    async def organization_exists(self, organization_id: int) -> bool: ...

    async def is_member(self, user_id: UserId, organization_id: int) -> bool:
        """``user_id`` is a member of the organization (``organization_members``)."""
        ...


def user_channel(user_id: int) -> str:
    """Where realtime events for one user go: every connection of that user listens on it
    (a Socket.IO room of that name). Shared by the realtime adapter and the Socket.IO entrypoint."""
    return f"user:{user_id}"


class ChatUnitOfWork(UnitOfWork, Protocol):
    chat: ChatRepository
