"""SQL repository of the chat area (``chat_messages``) and the membership checks it needs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    func,
    insert,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.selectable import Exists

from adapters.sql.driver import HotStatement
from adapters.sql.tables import chat_messages, organization_members, organizations, users
from application.ports.chat import HistoryRequest
from application.results import Page
from domain.chat import ChatMessage, Room
from domain.shared import UserId

_COLUMNS = (
    chat_messages.c.id,
    chat_messages.c.sender_id,
    chat_messages.c.recipient_id,
    chat_messages.c.room,
    chat_messages.c.text,
    chat_messages.c.created_at,
    chat_messages.c.read_at,
)


# The send paths' statements, built once (adapters/sql/driver.py). Each inserts only if its
# checks hold (the sender is active; the recipient too, or the sender is a member of the
# organization whose room it is), in one statement: nothing to lock, no window between.


def _active(parameter: str) -> Exists:
    return exists().where(users.c.id == bindparam(parameter, type_=Integer), users.c.is_active.is_(True))


def _checked_insert(recipient: Any, room: Any, *checks: Exists) -> HotStatement:
    return HotStatement(
        insert(chat_messages)
        .from_select(
            ["sender_id", "recipient_id", "room", "text", "created_at", "read_at"],
            select(
                bindparam("sender_id", type_=Integer),
                recipient,
                room,
                bindparam("text", type_=chat_messages.c.text.type),
                bindparam("created_at", type_=chat_messages.c.created_at.type),
                null(),
            ).where(*checks),
        )
        .returning(chat_messages.c.id)
    )


_ROOM = bindparam("room", type_=chat_messages.c.room.type)
_ADD_DIRECT = _checked_insert(
    bindparam("recipient_id", type_=Integer), null(), _active("sender_id"), _active("recipient_id")
)
_ADD_TO_LOBBY = _checked_insert(null(), _ROOM, _active("sender_id"))
_ADD_TO_ORGANIZATION_ROOM = _checked_insert(
    null(),
    _ROOM,
    _active("sender_id"),
    exists().where(
        organization_members.c.organization_id == bindparam("organization_id", type_=Integer),
        organization_members.c.user_id == bindparam("sender_id", type_=Integer),
    ),
)


def _message(row: Any) -> ChatMessage:
    return ChatMessage(
        id=row.id,
        sender_id=UserId(row.sender_id),
        recipient_id=UserId(row.recipient_id) if row.recipient_id is not None else None,
        room=row.room,
        text=row.text,
        created_at=row.created_at,
        read_at=row.read_at,
    )


def _older(query: Select[Any], before_id: int | None) -> Select[Any]:
    return query if before_id is None else query.where(chat_messages.c.id < before_id)


class SqlChatRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_direct(self, message: ChatMessage) -> ChatMessage | None:
        values = {
            "sender_id": message.sender_id,
            "recipient_id": message.recipient_id,
            "text": message.text,
            "created_at": message.created_at,
        }
        new_id = await _ADD_DIRECT.scalar(self._conn, values)
        if new_id is None:
            return None
        message.id = int(new_id)
        return message

    async def add_to_room(self, message: ChatMessage, room: Room) -> ChatMessage | None:
        values: dict[str, Any] = {
            "sender_id": message.sender_id,
            "room": room.name,
            "text": message.text,
            "created_at": message.created_at,
        }
        if room.organization_id is None:
            new_id = await _ADD_TO_LOBBY.scalar(self._conn, values)
        else:
            values["organization_id"] = room.organization_id
            new_id = await _ADD_TO_ORGANIZATION_ROOM.scalar(self._conn, values)
        if new_id is None:
            return None
        message.id = int(new_id)
        return message

    async def get_for_update(self, message_id: int) -> ChatMessage | None:
        query = select(*_COLUMNS).where(chat_messages.c.id == message_id).with_for_update()
        row = (await self._conn.execute(query)).first()
        return _message(row) if row else None

    async def save_read(self, message: ChatMessage) -> None:
        await self._conn.execute(
            update(chat_messages).where(chat_messages.c.id == message.mid).values(read_at=message.read_at)
        )

    async def conversation(self, user_id: UserId, other_id: UserId, page: HistoryRequest) -> Page[ChatMessage]:
        # One index range per direction (ix_chat_messages_pair), merged: cheaper than an OR.
        directions = [_pair(user_id, other_id), _pair(other_id, user_id)]
        newest = [
            _older(select(*_COLUMNS).where(pair), page.before_id)
            .order_by(chat_messages.c.id.desc())
            .limit(page.limit)
            .subquery()
            for pair in directions
        ]
        merged = union_all(*(select(branch) for branch in newest)).subquery()
        query = select(merged).order_by(merged.c.id.desc()).limit(page.limit)
        rows = (await self._conn.execute(query)).all()
        counts = [select(func.count()).select_from(chat_messages).where(pair).scalar_subquery() for pair in directions]
        total = int(await self._conn.scalar(select(counts[0] + counts[1])) or 0)
        return Page(items=[_message(row) for row in rows], total=total, limit=page.limit, offset=0)

    async def room_history(self, room: str, page: HistoryRequest) -> Page[ChatMessage]:
        where = chat_messages.c.room == room
        query = _older(select(*_COLUMNS).where(where), page.before_id).order_by(chat_messages.c.id.desc())
        rows = (await self._conn.execute(query.limit(page.limit))).all()
        total = int(await self._conn.scalar(select(func.count()).select_from(chat_messages).where(where)) or 0)
        return Page(items=[_message(row) for row in rows], total=total, limit=page.limit, offset=0)

    async def active_user_ids(self, user_ids: Iterable[UserId]) -> set[UserId]:
        wanted = set(user_ids)
        query = select(users.c.id).where(users.c.id.in_(wanted), users.c.is_active.is_(True))
        return {UserId(row) for row in await self._conn.scalars(query)}

    async def user_exists(self, user_id: UserId) -> bool:
        return bool(await self._conn.scalar(select(exists().where(users.c.id == user_id))))

    async def organization_exists(self, organization_id: int) -> bool:
        return bool(await self._conn.scalar(select(exists().where(organizations.c.id == organization_id))))

    async def is_member(self, user_id: UserId, organization_id: int) -> bool:
        member = and_(
            organization_members.c.organization_id == organization_id, organization_members.c.user_id == user_id
        )
        return bool(await self._conn.scalar(select(exists().where(member))))


def _pair(sender_id: UserId, recipient_id: UserId) -> ColumnElement[bool]:
    return and_(chat_messages.c.sender_id == sender_id, chat_messages.c.recipient_id == recipient_id)
