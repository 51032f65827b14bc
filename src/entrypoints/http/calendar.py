"""Events as iCalendar files (RFC 5545), built with the ``icalendar`` library."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from application.ports.community import EventDetail

PRODID = "-//Athenaeum//Events//EN"


def event_uid(event_id: int, host: str) -> str:
    """The same for an event every time it is exported, so calendars update rather than duplicate it."""
    return f"event-{event_id}@{host}"


def event_calendar(detail: EventDetail, *, host: str) -> bytes:
    event = detail.event
    day = event.ensure_dated()
    entry = CalendarEvent()
    entry.add("uid", event_uid(event.eid, host))
    entry.add("dtstamp", event.published_at or event.created_at)
    entry.add("dtstart", day)  # a date, not a datetime: an all-day event
    entry.add("dtend", day + timedelta(days=1))
    entry.add("summary", event.title)
    if event.description:
        entry.add("description", event.description)
    locations = [org.organization.location for org in detail.organizations if org.organization.location]
    if locations:
        entry.add("location", "; ".join(locations))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add_component(entry)
    return bytes(calendar.to_ical())
