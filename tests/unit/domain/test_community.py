"""Organizations keep at least one member; events are scheduled for a moment, not waited for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from domain.community import (
    PUBLISHED,
    SCHEDULED,
    AlreadyMember,
    Event,
    EventUndated,
    LastMember,
    Organization,
    OrganizationId,
    location_of,
)
from domain.errors import InvalidValue
from domain.shared import UserId

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
users = st.integers(min_value=1, max_value=30).map(UserId)


def test_the_founder_is_a_member_with_the_listed_users() -> None:
    org = Organization.found(title="  Readers ", founder=UserId(1), now=NOW, members=[UserId(2), UserId(2)])
    assert org.title == "Readers"
    assert org.member_ids == {1, 2}
    assert org.created_by == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 256}, "title"),
        ({"title": "ok", "description": "d" * 10_001}, "description"),
        ({"title": "ok", "address": "a" * 256}, "address"),
        ({"title": "ok", "postcode": "1" * 21}, "postcode"),
        ({"title": "ok", "members": [UserId(i) for i in range(2, 103)]}, "member_ids"),
    ],
)
def test_invalid_organizations_name_the_field(fields: dict, field: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        Organization.found(founder=UserId(1), now=NOW, **fields)
    assert caught.value.field == field


@given(postcode=st.text(max_size=5), address=st.text(max_size=10))
def test_location_is_postcode_comma_address_without_empty_parts(postcode: str, address: str) -> None:
    location = location_of(postcode, address)
    if postcode and address:
        assert location == f"{postcode}, {address}"
    else:
        assert location == postcode + address


class Membership(RuleBasedStateMachine):
    """Whatever members are admitted and dismissed, an organization never ends up empty."""

    def __init__(self) -> None:
        super().__init__()
        self.org = Organization.found(title="Club", founder=UserId(1), now=NOW)
        self.model: set[int] = {1}

    @rule(user=users)
    def admit(self, user: UserId) -> None:
        if user in self.model:
            with pytest.raises(AlreadyMember):
                self.org.admit(user)
        else:
            self.org.admit(user)
            self.model.add(user)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def dismiss(self, data: st.DataObject) -> None:
        user = data.draw(st.sampled_from(sorted(self.model)))
        if len(self.model) == 1:
            with pytest.raises(LastMember):
                self.org.dismiss(UserId(user))
        else:
            self.org.dismiss(UserId(user))
            self.model.discard(user)

    @invariant()
    def never_empty_and_as_modelled(self) -> None:
        assert self.org.member_ids == self.model
        assert len(self.org.member_ids) >= 1


TestMembership = Membership.TestCase


@given(seconds=st.integers(min_value=0, max_value=10**7))
def test_an_event_is_due_exactly_from_now_plus_the_delay(seconds: int) -> None:
    event = Event.schedule(title="Fair", creator=UserId(1), now=NOW, delay=timedelta(seconds=seconds))
    assert event.status == SCHEDULED
    assert event.available_at == NOW + timedelta(seconds=seconds)
    assert not event.is_due(event.available_at - timedelta(microseconds=1))
    assert event.is_due(event.available_at)
    event.status = PUBLISHED
    assert not event.is_due(event.available_at), "a published event is never due again"


def test_an_event_keeps_each_organization_once_and_at_most_twenty() -> None:
    ids = [OrganizationId(i) for i in (3, 1, 3, 2)]
    event = Event.schedule(title="Fair", creator=UserId(1), now=NOW, delay=timedelta(0), organization_ids=ids)
    assert event.organization_ids == [3, 1, 2]
    with pytest.raises(InvalidValue):
        Event.schedule(
            title="Fair",
            creator=UserId(1),
            now=NOW,
            delay=timedelta(0),
            organization_ids=[OrganizationId(i) for i in range(21)],
        )


def test_only_a_dated_event_goes_in_a_calendar() -> None:
    undated = Event.schedule(title="Someday", creator=UserId(1), now=NOW, delay=timedelta(0))
    with pytest.raises(EventUndated):
        undated.ensure_dated()
    dated = Event.schedule(title="Then", creator=UserId(1), now=NOW, delay=timedelta(0), on=date(2026, 4, 1))
    assert dated.ensure_dated() == date(2026, 4, 1)
