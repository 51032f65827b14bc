"""In-memory stand-ins for the chat ports."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

from application.ports.chat import HistoryRequest
from application.results import Page
from domain.chat import ChatMessage, Room
from domain.shared import UserId
from tests.clock import MovableClock


class FixedClock(MovableClock):
    origin = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@dataclass
class ChatWorld:
    """What the database would hold: users (id → active), organizations and members, messages."""

    users: dict[int, bool] = field(default_factory=dict)
    organizations: dict[int, set[int]] = field(default_factory=dict)
    messages: dict[int, ChatMessage] = field(default_factory=dict)


class InMemoryChatRepository:
    def __init__(self, world: ChatWorld, pending: dict[int, ChatMessage]) -> None:
        self._world = world
        self._pending = pending

    def _all(self) -> dict[int, ChatMessage]:
        return {**self._world.messages, **self._pending}

    def _store(self, message: ChatMessage) -> ChatMessage:
        message.id = max(self._all(), default=0) + 1
        self._pending[message.id] = copy.copy(message)
        return message

    async def add_direct(self, message: ChatMessage) -> ChatMessage | None:
        pair = [message.sender_id, message.recipient_id] if message.recipient_id is not None else []
        if not pair or await self.active_user_ids(pair) != set(pair):
            return None
        return self._store(message)

    async def add_to_room(self, message: ChatMessage, room: Room) -> ChatMessage | None:
        if not self._world.users.get(message.sender_id):
            return None
        if room.organization_id is not None and not await self.is_member(message.sender_id, room.organization_id):
            return None
        return self._store(message)

    async def get_for_update(self, message_id: int) -> ChatMessage | None:
        found = self._all().get(message_id)
        return copy.copy(found) if found else None

    async def save_read(self, message: ChatMessage) -> None:
        self._pending[message.mid] = copy.copy(message)

    def _page(self, selected: list[ChatMessage], page: HistoryRequest) -> Page[ChatMessage]:
        newest = sorted(selected, key=lambda m: -m.mid)
        older = [m for m in newest if page.before_id is None or m.mid < page.before_id]
        return Page(items=older[: page.limit], total=len(newest), limit=page.limit, offset=0)

    async def conversation(self, user_id: UserId, other_id: UserId, page: HistoryRequest) -> Page[ChatMessage]:
        pair = {user_id, other_id}
        chosen = [m for m in self._all().values() if m.is_direct and {m.sender_id, m.recipient_id} == pair]
        return self._page(chosen, page)

    async def room_history(self, room: str, page: HistoryRequest) -> Page[ChatMessage]:
        return self._page([m for m in self._all().values() if m.room == room], page)

    async def active_user_ids(self, user_ids: Iterable[UserId]) -> set[UserId]:
        return {u for u in user_ids if self._world.users.get(u)}

    async def user_exists(self, user_id: UserId) -> bool:
        return user_id in self._world.users

    async def organization_exists(self, organization_id: int) -> bool:
        return organization_id in self._world.organizations

    async def is_member(self, user_id: UserId, organization_id: int) -> bool:
        return user_id in self._world.organizations.get(organization_id, set())


class FakeChatUnitOfWork:
    """Changes reach the world only on ``commit()``; ``fail_commit`` imitates a lost database."""

    def __init__(self, world: ChatWorld, *, fail_commit: bool = False) -> None:
        self._world = world
        self._fail = fail_commit
        self._pending: dict[int, ChatMessage] = {}
        self.chat = InMemoryChatRepository(world, self._pending)
        self.committed = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._pending.clear()

    async def commit(self) -> None:
        if self._fail:
            raise ConnectionError("the database went away")
        self._world.messages.update(self._pending)
        self._pending.clear()
        self.committed = True


@dataclass
class Push:
    to: tuple[int, ...] | str
    event: str
    payload: dict[str, Any]
    skip: str | None


@dataclass
class RecordingPublisher:
    pushes: list[Push] = field(default_factory=list)

    async def to_users(
        self, user_ids: Iterable[int], event: str, payload: Mapping[str, Any], *, skip_connection: str | None = None
    ) -> None:
        self.pushes.append(Push(tuple(user_ids), event, dict(payload), skip_connection))

    async def to_room(
        self, room: str, event: str, payload: Mapping[str, Any], *, skip_connection: str | None = None
    ) -> None:
        self.pushes.append(Push(room, event, dict(payload), skip_connection))
