"""SQL repositories of the community area: organizations, members, events."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.common import paged
from adapters.sql.tables import event_organizations, events, organization_members, organizations, users
from application.ports.community import (
    EventDetail,
    EventFilter,
    MemberView,
    OrganizationDetail,
    OrganizationFilter,
)
from application.results import Page, PageRequest
from domain.community import PUBLISHED, SCHEDULED, AlreadyMember, Event, EventId, Organization, OrganizationId
from domain.shared import UserId

_ORG_COLUMNS = (
    organizations.c.id,
    organizations.c.title,
    organizations.c.description,
    organizations.c.address,
    organizations.c.postcode,
    organizations.c.created_by,
    organizations.c.created_at,
)

_EVENT_COLUMNS = (
    events.c.id,
    events.c.title,
    events.c.description,
    events.c.date,
    events.c.image_url,
    events.c.status,
    events.c.available_at,
    events.c.published_at,
    events.c.created_by,
    events.c.created_at,
)


def _organization(row: Any, member_ids: Collection[int] = ()) -> Organization:
    return Organization(
        id=OrganizationId(row.id),
        title=row.title,
        description=row.description,
        address=row.address,
        postcode=row.postcode,
        created_by=UserId(row.created_by) if row.created_by is not None else None,
        created_at=row.created_at,
        member_ids={UserId(user_id) for user_id in member_ids},
    )


def _event(row: Any, organization_ids: Sequence[int] = ()) -> Event:
    return Event(
        id=EventId(row.id),
        title=row.title,
        description=row.description,
        date=row.date,
        image_url=row.image_url,
        status=row.status,
        available_at=row.available_at,
        published_at=row.published_at,
        created_by=UserId(row.created_by) if row.created_by is not None else None,
        created_at=row.created_at,
        organization_ids=[OrganizationId(org_id) for org_id in organization_ids],
    )


async def _member_ids(conn: AsyncConnection, organization_ids: Collection[int]) -> dict[int, list[int]]:
    """Every member id of the given organizations, in one query."""
    found: dict[int, list[int]] = defaultdict(list)
    if not organization_ids:
        return found
    query = (
        select(organization_members.c.organization_id, organization_members.c.user_id)
        .where(organization_members.c.organization_id.in_(list(organization_ids)))
        .order_by(organization_members.c.organization_id, organization_members.c.user_id)
    )
    for row in await conn.execute(query):
        found[row.organization_id].append(row.user_id)
    return found


async def _active_members(conn: AsyncConnection, organization_ids: Collection[int]) -> dict[int, list[MemberView]]:
    """The active users of the given organizations, grouped by organization, in one query."""
    grouped: dict[int, list[MemberView]] = defaultdict(list)
    if not organization_ids:
        return grouped
    query = (
        select(organization_members.c.organization_id, users.c.id, users.c.username, users.c.email)
        .join(users, users.c.id == organization_members.c.user_id)
        .where(organization_members.c.organization_id.in_(list(organization_ids)), users.c.is_active.is_(True))
        .order_by(organization_members.c.organization_id, users.c.id)
    )
    for row in await conn.execute(query):
        grouped[row.organization_id].append(MemberView(id=UserId(row.id), username=row.username, email=row.email))
    return grouped


class SqlOrganizationRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, organization: Organization) -> Organization:
        new_id = await self._conn.scalar(
            insert(organizations)
            .values(
                title=organization.title,
                description=organization.description,
                address=organization.address,
                postcode=organization.postcode,
                created_by=organization.created_by,
                created_at=organization.created_at,
            )
            .returning(organizations.c.id)
        )
        organization.id = OrganizationId(int(new_id))
        if organization.member_ids:
            await self._conn.execute(
                insert(organization_members),
                [
                    {"organization_id": new_id, "user_id": user_id, "joined_at": organization.created_at}
                    for user_id in sorted(organization.member_ids)
                ],
            )
        return organization

    async def get_for_update(self, organization_id: OrganizationId) -> Organization | None:
        query = select(*_ORG_COLUMNS).where(organizations.c.id == organization_id).with_for_update()
        row = (await self._conn.execute(query)).first()
        if row is None:
            return None
        members = await _member_ids(self._conn, [row.id])
        return _organization(row, members.get(row.id, ()))

    async def add_member(self, organization_id: OrganizationId, user_id: UserId, *, now: datetime) -> None:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    insert(organization_members).values(organization_id=organization_id, user_id=user_id, joined_at=now)
                )
        except IntegrityError as exc:
            raise AlreadyMember(f"User {user_id} is already a member.") from exc

    async def remove_member(self, organization_id: OrganizationId, user_id: UserId) -> None:
        await self._conn.execute(
            delete(organization_members).where(
                organization_members.c.organization_id == organization_id,
                organization_members.c.user_id == user_id,
            )
        )

    async def list(self, filters: OrganizationFilter, page: PageRequest) -> Page[Organization]:
        query = select(*_ORG_COLUMNS).order_by(organizations.c.title, organizations.c.id)
        if filters.search:
            query = query.where(organizations.c.title.icontains(filters.search, autoescape=True))
        result = await paged(self._conn, query, page, lambda row: row)
        members = await _member_ids(self._conn, [row.id for row in result.items])
        return Page(
            items=[_organization(row, members.get(row.id, ())) for row in result.items],
            total=result.total,
            limit=result.limit,
            offset=result.offset,
        )

    async def detail(self, organization_id: OrganizationId) -> OrganizationDetail | None:
        row = (await self._conn.execute(select(*_ORG_COLUMNS).where(organizations.c.id == organization_id))).first()
        if row is None:
            return None
        member_ids = await _member_ids(self._conn, [row.id])
        active = await _active_members(self._conn, [row.id])
        return OrganizationDetail(
            organization=_organization(row, member_ids.get(row.id, ())), members=active.get(row.id, [])
        )

    async def existing(self, organization_ids: Collection[OrganizationId]) -> set[OrganizationId]:
        if not organization_ids:
            return set()
        query = select(organizations.c.id).where(organizations.c.id.in_(list(organization_ids)))
        return {OrganizationId(org_id) for org_id in (await self._conn.scalars(query)).all()}

    async def memberships(self, user_id: UserId, organization_ids: Collection[OrganizationId]) -> set[OrganizationId]:
        if not organization_ids:
            return set()
        query = select(organization_members.c.organization_id).where(
            organization_members.c.user_id == user_id,
            organization_members.c.organization_id.in_(list(organization_ids)),
        )
        return {OrganizationId(org_id) for org_id in (await self._conn.scalars(query)).all()}

    async def existing_users(self, user_ids: Collection[UserId]) -> set[UserId]:
        if not user_ids:
            return set()
        query = select(users.c.id).where(users.c.id.in_(list(user_ids)))
        return {UserId(user_id) for user_id in (await self._conn.scalars(query)).all()}


class SqlEventRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, event: Event) -> Event:
        new_id = await self._conn.scalar(
            insert(events)
            .values(
                title=event.title,
                description=event.description,
                date=event.date,
                image_url=event.image_url,
                status=event.status,
                available_at=event.available_at,
                published_at=event.published_at,
                created_by=event.created_by,
                created_at=event.created_at,
            )
            .returning(events.c.id)
        )
        event.id = EventId(int(new_id))
        if event.organization_ids:
            await self._conn.execute(
                insert(event_organizations),
                [{"event_id": new_id, "organization_id": org_id} for org_id in event.organization_ids],
            )
        return event

    async def publish_due(self, now: datetime) -> Sequence[EventId]:
        # One statement: the WHERE is re-checked on each row as it is updated, so two workers
        # running this at once publish every row exactly once (the second finds it published).
        statement = (
            update(events)
            .where(events.c.status == SCHEDULED, events.c.available_at <= now)
            .values(status=PUBLISHED, published_at=now)
            .returning(events.c.id)
        )
        return sorted(EventId(event_id) for event_id in (await self._conn.scalars(statement)).all())

    def _published(self, filters: EventFilter) -> Select[Any]:
        query = select(*_EVENT_COLUMNS).where(events.c.status == PUBLISHED)
        if filters.search:
            query = query.where(events.c.title.icontains(filters.search, autoescape=True))
        if filters.on is not None:
            query = query.where(events.c.date == filters.on)
        if filters.on_or_after is not None:
            query = query.where(events.c.date >= filters.on_or_after)
        if filters.on_or_before is not None:
            query = query.where(events.c.date <= filters.on_or_before)
        if filters.newest_first:
            return query.order_by(events.c.date.desc().nulls_last(), events.c.id.desc())
        return query.order_by(events.c.date.asc().nulls_last(), events.c.id.asc())

    async def list_published(self, filters: EventFilter, page: PageRequest) -> Page[Event]:
        result = await paged(self._conn, self._published(filters), page, lambda row: row)
        linked = await self._organization_ids([row.id for row in result.items])
        return Page(
            items=[_event(row, linked.get(row.id, ())) for row in result.items],
            total=result.total,
            limit=result.limit,
            offset=result.offset,
        )

    async def _organization_ids(self, event_ids: Collection[int]) -> dict[int, list[int]]:
        found: dict[int, list[int]] = defaultdict(list)
        if not event_ids:
            return found
        query = (
            select(event_organizations.c.event_id, event_organizations.c.organization_id)
            .where(event_organizations.c.event_id.in_(list(event_ids)))
            .order_by(event_organizations.c.event_id, event_organizations.c.organization_id)
        )
        for row in await self._conn.execute(query):
            found[row.event_id].append(row.organization_id)
        return found

    async def published_detail(self, event_id: EventId) -> EventDetail | None:
        # Three queries whatever the number of organizations and members:
        # the event, its organizations, and the active members of all of them.
        query = select(*_EVENT_COLUMNS).where(events.c.id == event_id, events.c.status == PUBLISHED)
        row = (await self._conn.execute(query)).first()
        if row is None:
            return None
        org_rows = (
            await self._conn.execute(
                select(*_ORG_COLUMNS)
                .join(
                    event_organizations,
                    and_(
                        event_organizations.c.organization_id == organizations.c.id,
                        event_organizations.c.event_id == row.id,
                    ),
                )
                .order_by(organizations.c.id)
            )
        ).all()
        members = await _active_members(self._conn, [org.id for org in org_rows])
        details = [
            OrganizationDetail(organization=_organization(org), members=members.get(org.id, [])) for org in org_rows
        ]
        return EventDetail(event=_event(row, [org.id for org in org_rows]), organizations=details)
