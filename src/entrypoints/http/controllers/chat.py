"""``/api/chat``: conversation and room history, sending a message, read receipts.

The same use cases serve the Socket.IO ``/chat`` namespace; a message sent here is also
delivered live to the recipient's and the sender's connected sockets.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from application.ports.chat import HistoryRequest
from application.use_cases.chat import ListConversation, ListRoomMessages, MarkRead, SendDirectMessage
from application.use_cases.identity import Principal
from domain.chat import MAX_ROOM_NAME
from domain.shared import UserId
from entrypoints.http.deps import MAX_PAGE, use_case
from entrypoints.http.schemas.chat import (
    MAX_ID,
    MessageResponse,
    ReadReceiptResponse,
    RoomMessageResponse,
    SendMessageRequest,
)
from entrypoints.http.schemas.common import PageResponse

PAGING = (
    "Newest first. Page with `before_id`: pass the smallest `id` of the page you have to get the "
    "`limit` messages before it. `total` counts the whole history (not only what lies before "
    "`before_id`); `offset` is always 0."
)


def history_request(
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="Page size (at most 100).")] = 20,
    before_id: Annotated[
        int | None, QueryParameter(ge=1, le=MAX_ID, description="Only messages with a smaller id (older).")
    ] = None,
) -> HistoryRequest:
    return HistoryRequest(limit=limit, before_id=before_id)


class ChatController(Controller):
    path = "/api/chat"
    tags = ["Chat"]
    security = [{"BearerAuth": []}]
    dependencies = {
        "history": Provide(history_request, sync_to_thread=False),
        "send_direct_message": use_case(lambda c: c.chat.send_direct_message),
        "list_conversation": use_case(lambda c: c.chat.list_conversation),
        "list_room_messages": use_case(lambda c: c.chat.list_room_messages),
        "mark_read": use_case(lambda c: c.chat.mark_read),
    }

    @get(
        "/messages/{user_id:int}",
        operation_id="ListConversation",
        summary="Your conversation with one user",
        description=f"Direct messages between you and `user_id`, both directions. {PAGING} Unknown user → 404.",
    )
    async def conversation(
        self,
        user_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
        principal: NamedDependency[Principal],
        history: NamedDependency[HistoryRequest],
        list_conversation: NamedDependency[ListConversation],
    ) -> PageResponse[MessageResponse]:
        page = await list_conversation(user_id=principal.user_id, other_id=UserId(user_id), page=history)
        return PageResponse.of(page, MessageResponse.of)

    @post(
        "/messages",
        status_code=HTTP_201_CREATED,
        operation_id="SendMessage",
        summary="Send a direct message",
        description=(
            "Stored, then delivered live as the Socket.IO event `message` to every connected socket of the "
            "recipient and of the sender. Text: 1 to 4000 characters, not only white space (422). "
            "Unknown or deactivated recipient → 404; a message to yourself → 422."
        ),
    )
    async def send(
        self,
        data: JSONBody[SendMessageRequest],
        principal: NamedDependency[Principal],
        send_direct_message: NamedDependency[SendDirectMessage],
    ) -> MessageResponse:
        message = await send_direct_message(
            sender_id=principal.user_id, recipient_id=UserId(data.recipient_id), text=data.text
        )
        return MessageResponse.of(message)

    @post(
        "/messages/{message_id:int}/read",
        status_code=HTTP_200_OK,
        operation_id="MarkMessageRead",
        summary="Mark a message you received as read",
        description=(
            "Only the recipient may (the sender gets 403; anyone else 404). The sender's sockets get the event "
            "`read`. Marking it again keeps the first `read_at`."
        ),
    )
    async def mark_read_(
        self,
        message_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
        principal: NamedDependency[Principal],
        mark_read: NamedDependency[MarkRead],
    ) -> ReadReceiptResponse:
        return ReadReceiptResponse.of(await mark_read(user_id=principal.user_id, message_id=message_id))

    @get(
        "/rooms/{room:str}/messages",
        operation_id="ListRoomMessages",
        summary="A room's history",
        description=(
            f'`room` is "lobby" (every signed-in user) or "org:<organization id>" (its members only: 403 for '
            f"others, 404 for an organization that does not exist). {PAGING}"
        ),
    )
    async def room_messages(
        self,
        room: Annotated[str, PathParameter(min_length=1, max_length=MAX_ROOM_NAME)],
        principal: NamedDependency[Principal],
        history: NamedDependency[HistoryRequest],
        list_room_messages: NamedDependency[ListRoomMessages],
    ) -> PageResponse[RoomMessageResponse]:
        page = await list_room_messages(user_id=principal.user_id, room=room, page=history)
        return PageResponse.of(page, RoomMessageResponse.of)
