from __future__ import annotations

from dependency_injector import containers, providers

from application.use_cases import community, media


class CommunityUseCases(containers.DeclarativeContainer):
    """Organizations and events."""

    gw = providers.DependenciesContainer()

    create_organization = providers.Factory(community.CreateOrganization, uow=gw.uow.provider, clock=gw.clock)
    list_organizations = providers.Factory(community.ListOrganizations, uow=gw.reader.provider)
    get_organization = providers.Factory(community.GetOrganization, uow=gw.reader.provider)
    add_member = providers.Factory(community.AddMember, uow=gw.uow.provider, clock=gw.clock)
    remove_member = providers.Factory(community.RemoveMember, uow=gw.uow.provider)

    schedule_event = providers.Factory(
        community.ScheduleEvent,
        uow=gw.uow.provider,
        clock=gw.clock,
        delay=gw.event_publish_delay,
        images=gw.images,
        storage=gw.media,
    )
    publish_due_events = providers.Factory(community.PublishDueEvents, uow=gw.uow.provider, clock=gw.clock)
    list_events = providers.Factory(community.ListEvents, uow=gw.reader.provider)
    get_event = providers.Factory(community.GetEvent, uow=gw.reader.provider)
    get_event_for_calendar = providers.Factory(community.GetEventForCalendar, get_event=get_event)


class MediaUseCases(containers.DeclarativeContainer):
    """Image uploads and avatars."""

    gw = providers.DependenciesContainer()

    upload_image = providers.Factory(media.UploadImage, images=gw.images, storage=gw.media)
    change_avatar = providers.Factory(media.ChangeAvatar, uow=gw.uow.provider, images=gw.images, storage=gw.media)
