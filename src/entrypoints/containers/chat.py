from __future__ import annotations

from dependency_injector import containers, providers

from application.use_cases import chat


class ChatUseCases(containers.DeclarativeContainer):
    gw = providers.DependenciesContainer()

    send_direct_message = providers.Factory(
        chat.SendDirectMessage, uow=gw.one_statement_writer.provider, publisher=gw.publisher, clock=gw.clock
    )
    send_room_message = providers.Factory(
        chat.SendRoomMessage, uow=gw.one_statement_writer.provider, publisher=gw.publisher, clock=gw.clock
    )
    mark_read = providers.Factory(chat.MarkRead, uow=gw.uow.provider, publisher=gw.publisher, clock=gw.clock)
    signal_typing = providers.Factory(chat.SignalTyping, publisher=gw.publisher)
    join_room = providers.Factory(chat.JoinRoom, uow=gw.reader.provider)
    list_conversation = providers.Factory(chat.ListConversation, uow=gw.reader.provider)
    list_room_messages = providers.Factory(chat.ListRoomMessages, uow=gw.reader.provider)
