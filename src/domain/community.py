"""Community: organizations, their members, and the events they hold.

An organization always keeps at least one member: only members may change the
membership, so an organization without members could never be managed again.

An event is created ``scheduled`` and becomes ``published`` (visible) once its
``available_at`` has passed and the ``publish_events`` job has flipped it; the delay is a
stored moment, so it survives restarts and nothing waits for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NewType

from domain.errors import Conflict, InvalidValue
from domain.shared import UserId

OrganizationId = NewType("OrganizationId", int)
EventId = NewType("EventId", int)

TITLE_MAX = 255
DESCRIPTION_MAX = 10_000
ADDRESS_MAX = 255
POSTCODE_MAX = 20
MAX_MEMBERS_AT_CREATION = 100
MAX_EVENT_ORGANIZATIONS = 20

SCHEDULED = "scheduled"
PUBLISHED = "published"


class AlreadyMember(Conflict):
    code = "already-member"
    title = "The user is already a member of this organization"


class LastMember(Conflict):
    code = "last-member"
    title = "An organization keeps at least one member"


class EventUndated(Conflict):
    code = "event-undated"
    title = "The event has no date"


def _title(raw: str) -> str:
    title = raw.strip()
    if not title:
        raise InvalidValue("title", "The title cannot be empty.")
    if len(title) > TITLE_MAX:
        raise InvalidValue("title", f"At most {TITLE_MAX} characters.")
    return title


def _text(name: str, raw: str | None, limit: int) -> str:
    text = (raw or "").strip()
    if len(text) > limit:
        raise InvalidValue(name, f"At most {limit} characters.")
    return text


def location_of(postcode: str, address: str) -> str:
    """``"<postcode>, <address>"``; an empty part is left out rather than shown as ``", "``."""
    return ", ".join(part for part in (postcode, address) if part)


@dataclass(slots=True)
class Organization:
    title: str
    created_at: datetime
    description: str = ""
    address: str = ""
    postcode: str = ""
    created_by: UserId | None = None
    id: OrganizationId | None = None
    member_ids: set[UserId] = field(default_factory=set)

    @classmethod
    def found(
        cls,
        *,
        title: str,
        founder: UserId,
        now: datetime,
        description: str | None = None,
        address: str | None = None,
        postcode: str | None = None,
        members: Iterable[UserId] = (),
    ) -> Organization:
        """A new organization; its founder is a member, with the other ``members``."""
        member_ids = {founder, *members}
        if len(member_ids) > MAX_MEMBERS_AT_CREATION + 1:
            raise InvalidValue("member_ids", f"At most {MAX_MEMBERS_AT_CREATION} members at creation.")
        return cls(
            title=_title(title),
            description=_text("description", description, DESCRIPTION_MAX),
            address=_text("address", address, ADDRESS_MAX),
            postcode=_text("postcode", postcode, POSTCODE_MAX),
            created_by=founder,
            created_at=now,
            member_ids=member_ids,
        )

    @property
    def oid(self) -> OrganizationId:
        if self.id is None:
            msg = "the organization has not been saved yet"
            raise RuntimeError(msg)
        return self.id

    @property
    def location(self) -> str:
        return location_of(self.postcode, self.address)

    def has_member(self, user_id: UserId) -> bool:
        return user_id in self.member_ids

    def admit(self, user_id: UserId) -> None:
        if user_id in self.member_ids:
            raise AlreadyMember(f"User {user_id} is already a member.")
        self.member_ids.add(user_id)

    def dismiss(self, user_id: UserId) -> None:
        """Remove a member (who may be the caller leaving); the last one cannot leave."""
        if user_id not in self.member_ids:
            msg = f"user {user_id} is not a member"
            raise ValueError(msg)
        if len(self.member_ids) == 1:
            raise LastMember("The last member cannot be removed; an organization keeps at least one member.")
        self.member_ids.discard(user_id)


@dataclass(slots=True)
class Event:
    title: str
    status: str
    available_at: datetime
    created_at: datetime
    description: str = ""
    date: dt.date | None = None
    image_url: str | None = None
    created_by: UserId | None = None
    published_at: datetime | None = None
    organization_ids: list[OrganizationId] = field(default_factory=list)
    id: EventId | None = None

    @classmethod
    def schedule(
        cls,
        *,
        title: str,
        creator: UserId,
        now: datetime,
        delay: timedelta,
        description: str | None = None,
        on: dt.date | None = None,
        organization_ids: Iterable[OrganizationId] = (),
        image_url: str | None = None,
    ) -> Event:
        """A new event, visible from ``now + delay`` on (once the publish job has run)."""
        if delay < timedelta(0):
            msg = "the publish delay cannot be negative"
            raise ValueError(msg)
        organizations = list(dict.fromkeys(organization_ids))
        if len(organizations) > MAX_EVENT_ORGANIZATIONS:
            raise InvalidValue("organization_ids", f"At most {MAX_EVENT_ORGANIZATIONS} organizations.")
        return cls(
            title=_title(title),
            description=_text("description", description, DESCRIPTION_MAX),
            date=on,
            image_url=image_url,
            status=SCHEDULED,
            available_at=now + delay,
            created_by=creator,
            created_at=now,
            organization_ids=organizations,
        )

    @property
    def eid(self) -> EventId:
        if self.id is None:
            msg = "the event has not been saved yet"
            raise RuntimeError(msg)
        return self.id

    @property
    def is_published(self) -> bool:
        return self.status == PUBLISHED

    def is_due(self, now: datetime) -> bool:
        return self.status == SCHEDULED and self.available_at <= now

    def ensure_dated(self) -> dt.date:
        if self.date is None:
            raise EventUndated("This event has no date, so it cannot be put in a calendar.")
        return self.date
