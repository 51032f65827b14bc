"""Organizations, events and media: request and response bodies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from application.ports.community import EventDetail, MemberView, OrganizationDetail
from domain.community import (
    ADDRESS_MAX,
    DESCRIPTION_MAX,
    MAX_EVENT_ORGANIZATIONS,
    MAX_MEMBERS_AT_CREATION,
    POSTCODE_MAX,
    TITLE_MAX,
    Event,
    Organization,
)
from entrypoints.http.schemas.common import MAX_ID

Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=TITLE_MAX, examples=["Reading circle"])]
Description = Annotated[str, msgspec.Meta(max_length=DESCRIPTION_MAX)]
Address = Annotated[str, msgspec.Meta(max_length=ADDRESS_MAX, examples=["1 Library Lane, Springfield"])]
Postcode = Annotated[str, msgspec.Meta(max_length=POSTCODE_MAX, examples=["12345"])]


class OrganizationCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title
    description: Description | None = None
    address: Address | None = None
    postcode: Postcode | None = None
    member_ids: Annotated[list[Id], msgspec.Meta(max_length=MAX_MEMBERS_AT_CREATION)] = msgspec.field(
        default_factory=list
    )


class MemberResponse(msgspec.Struct, kw_only=True):
    id: int
    username: str
    email: str

    @classmethod
    def of(cls, member: MemberView) -> MemberResponse:
        return cls(id=member.id, username=member.username, email=member.email)


class OrganizationResponse(msgspec.Struct, kw_only=True):
    id: int
    title: str
    description: str
    address: str
    postcode: str
    location: str
    created_by: int | None
    created_at: dt.datetime

    @classmethod
    def of(cls, organization: Organization) -> OrganizationResponse:
        return cls(
            id=organization.oid,
            title=organization.title,
            description=organization.description,
            address=organization.address,
            postcode=organization.postcode,
            location=organization.location,
            created_by=organization.created_by,
            created_at=organization.created_at,
        )


class OrganizationDetailResponse(OrganizationResponse, kw_only=True):
    """An organization with its active members."""

    members: list[MemberResponse]

    @classmethod
    def of_detail(cls, detail: OrganizationDetail) -> OrganizationDetailResponse:
        base = OrganizationResponse.of(detail.organization)
        return cls(
            **{name: getattr(base, name) for name in OrganizationResponse.__struct_fields__},
            members=[MemberResponse.of(member) for member in detail.members],
        )


class EventCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title
    description: Description | None = None
    date: dt.date | None = None
    organization_ids: Annotated[list[Id], msgspec.Meta(max_length=MAX_EVENT_ORGANIZATIONS)] = msgspec.field(
        default_factory=list
    )


class EventScheduledResponse(msgspec.Struct, kw_only=True):
    id: int
    status: Literal["scheduled", "published"]
    available_at: dt.datetime

    @classmethod
    def of(cls, event: Event) -> EventScheduledResponse:
        return cls(id=event.eid, status=event.status, available_at=event.available_at)  # type: ignore[arg-type]


class EventResponse(msgspec.Struct, kw_only=True):
    id: int
    title: str
    description: str
    date: dt.date | None
    image_url: str | None
    organization_ids: list[int]

    @classmethod
    def of(cls, event: Event) -> EventResponse:
        return cls(
            id=event.eid,
            title=event.title,
            description=event.description,
            date=event.date,
            image_url=event.image_url,
            organization_ids=list(event.organization_ids),
        )


class EventOrganizationResponse(msgspec.Struct, kw_only=True):
    id: int
    title: str
    location: str
    members: list[MemberResponse]

    @classmethod
    def of(cls, detail: OrganizationDetail) -> EventOrganizationResponse:
        organization = detail.organization
        return cls(
            id=organization.oid,
            title=organization.title,
            location=organization.location,
            members=[MemberResponse.of(member) for member in detail.members],
        )


class EventDetailResponse(msgspec.Struct, kw_only=True):
    id: int
    title: str
    description: str
    date: dt.date | None
    image_url: str | None
    organizations: list[EventOrganizationResponse]

    @classmethod
    def of(cls, detail: EventDetail) -> EventDetailResponse:
        event = detail.event
        return cls(
            id=event.eid,
            title=event.title,
            description=event.description,
            date=event.date,
            image_url=event.image_url,
            organizations=[EventOrganizationResponse.of(organization) for organization in detail.organizations],
        )


class UploadResponse(msgspec.Struct, kw_only=True):
    url: str
