"""Ports of the community area: organizations, their members, events, and read models."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from application.ports.uow import UnitOfWork
from application.results import Page, PageRequest
from domain.community import Event, EventId, Organization, OrganizationId
from domain.shared import UserId


@dataclass(frozen=True, slots=True)
class MemberView:
    """A member as others see them."""

    id: UserId
    username: str
    email: str


@dataclass(frozen=True, slots=True)
class OrganizationDetail:
    organization: Organization
    members: Sequence[MemberView]  # active users only, by id


@dataclass(frozen=True, slots=True)
class EventDetail:
    event: Event
    organizations: Sequence[OrganizationDetail]  # by id, each with its active members


@dataclass(frozen=True, slots=True)
class OrganizationFilter:
    search: str | None = None


@dataclass(frozen=True, slots=True)
class EventFilter:
    search: str | None = None
    on: date | None = None
    on_or_after: date | None = None
    on_or_before: date | None = None
    newest_first: bool = False


class OrganizationRepository(Protocol):
    async def add(self, organization: Organization) -> Organization:
        """Insert the organization and its members; return it with its id."""
        ...

    async def get_for_update(self, organization_id: OrganizationId) -> Organization | None:
        """The organization with its member ids, locked until the end of the transaction."""
        ...

    async def add_member(self, organization_id: OrganizationId, user_id: UserId, *, now: datetime) -> None:
        """Raises ``AlreadyMember`` if the database already holds the membership."""
        ...

    async def remove_member(self, organization_id: OrganizationId, user_id: UserId) -> None: ...

    async def list(self, filters: OrganizationFilter, page: PageRequest) -> Page[Organization]: ...

    async def detail(self, organization_id: OrganizationId) -> OrganizationDetail | None: ...

    async def existing(self, organization_ids: Collection[OrganizationId]) -> set[OrganizationId]: ...

    async def memberships(self, user_id: UserId, organization_ids: Collection[OrganizationId]) -> set[OrganizationId]:
        """Which of ``organization_ids`` have ``user_id`` as a member."""
        ...

    async def existing_users(self, user_ids: Collection[UserId]) -> set[UserId]: ...


class EventRepository(Protocol):
    async def add(self, event: Event) -> Event: ...

    async def publish_due(self, now: datetime) -> Sequence[EventId]:
        """Publish every scheduled event whose ``available_at`` has passed, in one conditional
        update (safe when several workers run it); return the ids it published."""
        ...

    async def list_published(self, filters: EventFilter, page: PageRequest) -> Page[Event]: ...

    async def published_detail(self, event_id: EventId) -> EventDetail | None:
        """A published event with its organizations and their active members, in a
        constant number of queries."""
        ...


class CommunityUnitOfWork(UnitOfWork, Protocol):
    organizations: OrganizationRepository
    events: EventRepository
