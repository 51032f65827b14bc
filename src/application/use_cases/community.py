"""Community use cases: organizations and their members, events and their publication."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from application.errors import Forbidden, NotFound
from application.ports.clock import Clock
from application.ports.community import (
    CommunityUnitOfWork,
    EventDetail,
    EventFilter,
    OrganizationDetail,
    OrganizationFilter,
)
from application.ports.storage import EVENT_IMAGES, ImageCleaner, MediaStorage
from application.results import Page, PageRequest
from application.use_cases.identity import Principal
from domain.community import Event, EventId, Organization, OrganizationId
from domain.errors import InvalidValue
from domain.shared import UserId

UowFactory = Callable[[], CommunityUnitOfWork]


class NotAMember(Forbidden):
    code = "not-a-member"
    title = "Only members of the organization may do this"


def _ids(ids: Collection[int]) -> str:
    return ", ".join(str(i) for i in sorted(ids))


def ensure_can_manage(organization: Organization, actor: Principal) -> None:
    """Members manage their organization's membership; admins may manage any."""
    if not (actor.is_admin or organization.has_member(actor.user_id)):
        raise NotAMember("Only members of this organization may change its members.")


class CreateOrganization:
    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(
        self,
        *,
        founder: UserId,
        title: str,
        description: str | None = None,
        address: str | None = None,
        postcode: str | None = None,
        member_ids: Sequence[UserId] = (),
    ) -> OrganizationDetail:
        organization = Organization.found(
            title=title,
            founder=founder,
            now=self._clock.now(),
            description=description,
            address=address,
            postcode=postcode,
            members=member_ids,
        )
        async with self._uow() as uow:
            missing = set(member_ids) - await uow.organizations.existing_users(set(member_ids))
            if missing:
                raise InvalidValue("member_ids", f"No user with id {_ids(missing)}.")
            organization = await uow.organizations.add(organization)
            detail = await uow.organizations.detail(organization.oid)
            await uow.commit()
        if detail is None:  # pragma: no cover - just inserted in this transaction
            raise NotFound("organization", organization.id)
        return detail


class ListOrganizations:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, filters: OrganizationFilter, page: PageRequest) -> Page[Organization]:
        async with self._uow() as uow:
            return await uow.organizations.list(filters, page)


class GetOrganization:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, organization_id: OrganizationId) -> OrganizationDetail:
        async with self._uow() as uow:
            detail = await uow.organizations.detail(organization_id)
        if detail is None:
            raise NotFound("organization", organization_id)
        return detail


class AddMember:
    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(
        self, *, actor: Principal, organization_id: OrganizationId, user_id: UserId
    ) -> OrganizationDetail:
        async with self._uow() as uow:
            organization = await uow.organizations.get_for_update(organization_id)
            if organization is None:
                raise NotFound("organization", organization_id)
            ensure_can_manage(organization, actor)
            if not await uow.organizations.existing_users({user_id}):
                raise NotFound("user", user_id)
            organization.admit(user_id)
            await uow.organizations.add_member(organization.oid, user_id, now=self._clock.now())
            detail = await uow.organizations.detail(organization.oid)
            await uow.commit()
        if detail is None:  # pragma: no cover - locked above
            raise NotFound("organization", organization_id)
        return detail


class RemoveMember:
    """A member removes another member, or leaves; the last member cannot (409)."""

    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, actor: Principal, organization_id: OrganizationId, user_id: UserId) -> None:
        async with self._uow() as uow:
            organization = await uow.organizations.get_for_update(organization_id)
            if organization is None:
                raise NotFound("organization", organization_id)
            ensure_can_manage(organization, actor)
            if not organization.has_member(user_id):
                raise NotFound("member", user_id)
            organization.dismiss(user_id)
            await uow.organizations.remove_member(organization.oid, user_id)
            await uow.commit()


class ScheduleEvent:
    """Store a new event as ``scheduled``; it becomes visible once ``publish_events`` finds it due.

    The organizations must exist (422) and the creator must be a member of each (403;
    admins may post for any). An image, if given, is validated and stored first, and
    removed again if the event cannot be stored.
    """

    def __init__(
        self, uow: UowFactory, clock: Clock, delay: timedelta, images: ImageCleaner, storage: MediaStorage
    ) -> None:
        self._uow, self._clock, self._delay = uow, clock, delay
        self._images, self._storage = images, storage

    async def __call__(
        self,
        *,
        creator: Principal,
        title: str,
        description: str | None = None,
        on: date | None = None,
        organization_ids: Sequence[OrganizationId] = (),
        image: bytes | None = None,
    ) -> Event:
        event = Event.schedule(
            title=title,
            description=description,
            on=on,
            organization_ids=organization_ids,
            creator=creator.user_id,
            now=self._clock.now(),
            delay=self._delay,
        )
        if image is not None:
            cleaned = await self._images.clean(image)
            event.image_url = await self._storage.save(EVENT_IMAGES, cleaned.data, cleaned.extension)
        try:
            async with self._uow() as uow:
                await self._check_organizations(uow, creator, event.organization_ids)
                event = await uow.events.add(event)
                await uow.commit()
        except BaseException:
            if event.image_url is not None:
                await self._storage.delete(event.image_url)
            raise
        return event

    @staticmethod
    async def _check_organizations(
        uow: CommunityUnitOfWork, creator: Principal, organization_ids: Sequence[OrganizationId]
    ) -> None:
        if not organization_ids:
            return
        missing = set(organization_ids) - await uow.organizations.existing(organization_ids)
        if missing:
            raise InvalidValue("organization_ids", f"No organization with id {_ids(missing)}.")
        if not creator.is_admin:
            foreign = set(organization_ids) - await uow.organizations.memberships(creator.user_id, organization_ids)
            if foreign:
                raise NotAMember(f"You are not a member of organization {_ids(foreign)}.")


@dataclass(frozen=True, slots=True)
class PublishReport:
    published: Sequence[EventId]

    def __str__(self) -> str:
        return f"published {len(self.published)}"


class PublishDueEvents:
    """Publish every scheduled event whose moment has come. Idempotent; safe to run from
    several processes at once (one conditional UPDATE)."""

    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self) -> PublishReport:
        async with self._uow() as uow:
            published = await uow.events.publish_due(self._clock.now())
            await uow.commit()
        return PublishReport(published=published)


class ListEvents:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, filters: EventFilter, page: PageRequest) -> Page[Event]:
        async with self._uow() as uow:
            return await uow.events.list_published(filters, page)


class GetEvent:
    """A published event with its organizations and their active members (404 before publication)."""

    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, event_id: EventId) -> EventDetail:
        async with self._uow() as uow:
            detail = await uow.events.published_detail(event_id)
        if detail is None:
            raise NotFound("event", event_id)
        return detail


class GetEventForCalendar:
    """The event as a calendar entry needs it: published, and with a date (409 otherwise)."""

    def __init__(self, get_event: GetEvent) -> None:
        self._get_event = get_event

    async def __call__(self, *, event_id: EventId) -> EventDetail:
        detail = await self._get_event(event_id=event_id)
        detail.event.ensure_dated()
        return detail
