"""``/api/events``: scheduling events, published events, and their calendar files."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import PathParameter, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from application.errors import PayloadTooLarge
from application.ports.community import EventFilter
from application.results import PageRequest
from application.use_cases.community import GetEvent, GetEventForCalendar, ListEvents, ScheduleEvent
from application.use_cases.identity import Principal
from domain.community import DESCRIPTION_MAX, MAX_EVENT_ORGANIZATIONS, TITLE_MAX, EventId, OrganizationId
from entrypoints.http.calendar import event_calendar
from entrypoints.http.controllers.media import UPLOAD_BODY_LIMIT, read_upload
from entrypoints.http.deps import container_of, use_case
from entrypoints.http.schemas.common import NO_NUL, PageResponse
from entrypoints.http.schemas.community import (
    MAX_ID,
    EventCreate,
    EventDetailResponse,
    EventResponse,
    EventScheduledResponse,
)

EventPath = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="Event id.")]

_ID_LIST = Schema(
    type=OpenAPIType.ARRAY,
    items=Schema(type=OpenAPIType.INTEGER, minimum=1, maximum=MAX_ID),
    max_items=MAX_EVENT_ORGANIZATIONS,
)
#: A comma-separated list of ids as the form reads it (empty parts skipped), each id within
#: the integer column (nine digits at most).
_ID_TEXT = r"^ *([1-9][0-9]{0,8})?( *, *([1-9][0-9]{0,8})?)* *$"
_DATE = Schema(type=OpenAPIType.STRING, format="date", description="YYYY-MM-DD")  # type: ignore[arg-type]
_FIELDS: dict[str, Any] = {
    "title": Schema(type=OpenAPIType.STRING, min_length=1, max_length=TITLE_MAX),
    "description": Schema(type=OpenAPIType.STRING, max_length=DESCRIPTION_MAX),
    "date": _DATE,
}


@dataclass
class _CreateEventOperation(Operation):
    """The request body of ``POST /api/events``: JSON, or multipart with an image."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            content={
                "application/json": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        required=["title"],
                        properties={**_FIELDS, "organization_ids": _ID_LIST},
                        additional_properties=False,
                    )
                ),
                "multipart/form-data": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        required=["title"],
                        properties={
                            **_FIELDS,
                            # an empty form field is a field not filled in
                            "date": Schema(one_of=[_DATE, Schema(type=OpenAPIType.STRING, max_length=0)]),
                            "organization_ids": Schema(
                                one_of=[
                                    _ID_LIST,
                                    Schema(type=OpenAPIType.STRING, pattern=_ID_TEXT, examples=["3,5"]),
                                ],
                                description="Repeat the field once per id, or give one comma-separated list.",
                            ),
                            "image": Schema(
                                type=OpenAPIType.STRING,
                                format="binary",  # type: ignore[arg-type]
                                description="PNG, JPEG or WebP, at most 5 MB.",
                            ),
                        },
                    )
                ),
            },
        )


@dataclass
class _EventForm:
    fields: dict[str, Any] = field(default_factory=dict)
    image: bytes | None = None


def _invalid(exc: msgspec.ValidationError) -> ValidationException:
    message, _, where = str(exc).partition(" - at `$")
    key = where.rstrip("`").lstrip(".") or "body"
    return ValidationException(detail=str(exc), extra=[{"key": key, "message": message, "source": "body"}])


def _organization_ids(values: list[Any]) -> list[str]:
    """Repeated fields (``organization_ids=3&organization_ids=5``) or one list (``3,5``), or both."""
    ids: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise ValidationException(
                detail="organization_ids must be text",
                extra=[{"key": "organization_ids", "message": "Expected text, not a file", "source": "body"}],
            )
        ids.extend(part.strip() for part in value.split(",") if part.strip())
    if len(ids) > MAX_EVENT_ORGANIZATIONS:
        raise ValidationException(
            detail="too many organizations",
            extra=[{"key": "organization_ids", "message": "At most 20 organizations", "source": "body"}],
        )
    return ids


def _form_text(values: list[Any], name: str) -> str | None:
    """The one text value of a form field (``None`` when absent); repeated or a file is a 400."""
    if len(values) > 1:
        raise ValidationException(
            detail=f"{name} is given more than once",
            extra=[{"key": name, "message": "Give this field once", "source": "body"}],
        )
    value = values[0] if values else None
    if value is not None and not isinstance(value, str):
        raise ValidationException(
            detail=f"{name} must be text",
            extra=[{"key": name, "message": "Expected text, not a file", "source": "body"}],
        )
    return value


async def _read_event_form(request: Request[Any, Any, Any], json_limit: int) -> tuple[EventCreate, bytes | None]:
    media_type = request.content_type[0]
    if media_type == "multipart/form-data":
        form = await request.form()
        raw: dict[str, Any] = {}
        for name in ("title", "description", "date"):
            value = _form_text(form.getall(name, []), name)
            if value:
                raw[name] = value
        raw["organization_ids"] = _organization_ids(form.getall("organization_ids", []))
        image = form.get("image")
        image_bytes = await read_upload(image) if image is not None and image != "" else None
        try:
            data = msgspec.convert(raw, EventCreate, strict=False)
        except msgspec.ValidationError as exc:
            raise _invalid(exc) from exc
        if "date" in raw and data.date is None:  # lax conversion reads the text "null" as no date
            raise ValidationException(
                detail="date is not a date",
                extra=[{"key": "date", "message": "Expected a date, YYYY-MM-DD", "source": "body"}],
            )
        return data, image_bytes
    body = await request.body()
    if len(body) > json_limit:
        raise PayloadTooLarge(f"JSON bodies are limited to {json_limit} bytes; send images as multipart.")
    try:
        return msgspec.json.decode(body, type=EventCreate), None
    except msgspec.ValidationError as exc:
        raise _invalid(exc) from exc
    except msgspec.DecodeError as exc:
        raise ValidationException(detail=f"The body is not valid JSON: {exc}") from exc


class EventsController(Controller):
    path = "/api/events"
    tags = ["Events"]
    security = [{"BearerAuth": []}]
    dependencies = {
        "schedule_event": use_case(lambda c: c.community.schedule_event),
        "list_events": use_case(lambda c: c.community.list_events),
        "get_event": use_case(lambda c: c.community.get_event),
        "get_event_for_calendar": use_case(lambda c: c.community.get_event_for_calendar),
    }

    @post(
        status_code=HTTP_202_ACCEPTED,
        operation_id="CreateEvent",
        summary="Schedule an event",
        description=(
            'Answers 202 at once with `{id, status: "scheduled", available_at}`. The event is stored '
            "and becomes visible (`GET /api/events`) only after `EVENT_PUBLISH_DELAY_SECONDS` "
            "(default 60): a periodic job publishes events whose `available_at` has passed, so the "
            "delay survives restarts and the request never waits for it.\n\n"
            "Send JSON `{title, description?, date?, organization_ids?}`, or `multipart/form-data` with "
            "the same fields and an `image` file (PNG/JPEG/WebP, ≤ 5 MB, validated and re-encoded like "
            "uploads). In multipart, `organization_ids` may be repeated or comma-separated.\n\n"
            "Every organization must exist (422) and the caller must be one of its members (403; "
            "admins may post for any organization)."
        ),
        request_max_body_size=UPLOAD_BODY_LIMIT,
        operation_class=_CreateEventOperation,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        schedule_event: NamedDependency[ScheduleEvent],
    ) -> Response[EventScheduledResponse]:
        data, image = await _read_event_form(request, container_of(request).settings().max_body_bytes)
        event = await schedule_event(
            creator=principal,
            title=data.title,
            description=data.description,
            on=data.date,
            organization_ids=[OrganizationId(org_id) for org_id in data.organization_ids],
            image=image,
        )
        return Response(
            EventScheduledResponse.of(event),
            status_code=HTTP_202_ACCEPTED,
            headers={"Location": f"/api/events/{event.eid}"},
        )

    @get(
        operation_id="ListEvents",
        summary="Published events",
        description=(
            "Only published events. `search` matches part of the title (ignoring case); `date`, "
            "`date__gte` and `date__lte` are inclusive; `ordering` is `date` (default, oldest first) or "
            "`-date`, ties broken by id in the same direction; events without a date come last."
        ),
    )
    async def list_(
        self,
        principal: NamedDependency[Principal],
        page: NamedDependency[PageRequest],
        list_events: NamedDependency[ListEvents],
        search: Annotated[
            str | None, QueryParameter(max_length=TITLE_MAX, description="Part of the title.", pattern=NO_NUL)
        ] = None,
        on: Annotated[dt.date | None, QueryParameter(name="date", description="Exactly this date.")] = None,
        on_or_after: Annotated[dt.date | None, QueryParameter(name="date__gte", description="On or after.")] = None,
        on_or_before: Annotated[dt.date | None, QueryParameter(name="date__lte", description="On or before.")] = None,
        ordering: Annotated[Literal["date", "-date"], QueryParameter(description="`date` or `-date`.")] = "date",
    ) -> PageResponse[EventResponse]:
        filters = EventFilter(
            search=search,
            on=on,
            on_or_after=on_or_after,
            on_or_before=on_or_before,
            newest_first=ordering == "-date",
        )
        return PageResponse.of(await list_events(filters=filters, page=page), EventResponse.of)

    @get(
        "/{event_id:int}",
        operation_id="GetEvent",
        summary="One published event",
        description=(
            "404 until the event is published. `organizations` lists each organization with "
            '`location` (`"<postcode>, <address>"`) and its active members `{id, username, email}`.'
        ),
    )
    async def detail(
        self, event_id: EventPath, principal: NamedDependency[Principal], get_event: NamedDependency[GetEvent]
    ) -> EventDetailResponse:
        return EventDetailResponse.of(await get_event(event_id=EventId(event_id)))

    @get(
        "/{event_id:int}/calendar.ics",
        operation_id="GetEventCalendar",
        summary="The event as an iCalendar file",
        description=(
            "`text/calendar`: one all-day `VEVENT` on the event's date, with a `UID` that stays the same "
            "for the event, `SUMMARY`, `DESCRIPTION` and `LOCATION` (the organizations' locations). "
            "404 until published; an event without a date → 409."
        ),
        media_type="text/calendar",
    )
    async def calendar(
        self,
        event_id: EventPath,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        get_event_for_calendar: NamedDependency[GetEventForCalendar],
    ) -> Response[bytes]:
        detail = await get_event_for_calendar(event_id=EventId(event_id))
        return Response(
            event_calendar(detail, host=urlsplit(container_of(request).settings().base_url).hostname or "athenaeum"),
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="event-{event_id}.ics"'},
        )
