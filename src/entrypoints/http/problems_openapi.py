"""The problem responses of every operation, documented in the OpenAPI schema.

Every error the app sends is an RFC 9457 problem (``application/problem+json``, built in
``errors.py``). Here each operation declares the ones it can answer, with one reusable
``Problem`` component, so that the schema tells the truth (the fuzz test holds the app to it):

* every operation: 400 (a malformed request: a bad query, a body that is not JSON);
* every operation that touches the database: 503 (it is unavailable, with ``Retry-After``);
* a secured one: 401;
* one with a path parameter: 404 (no such resource, or one the caller may not see);
* one that takes a body (POST, PUT, PATCH): 413, 415 and 422 (a value the domain refuses);
* and what ``EXTRA_STATUSES`` adds for the operation (403 for admin-only, 409, …).

Public Litestar API does that: a ``ReceiveRoutePlugin`` adds ``ResponseSpec`` entries to each
handler's ``responses`` as routes are registered (an operation's own entries win).

Request bodies are msgspec structs with ``forbid_unknown_fields``: an unknown member is a 400.
Litestar does not say so in their schemas, nor the bounds of integer list items (``list[Id]``),
so ``ClosedStructs`` adds ``additionalProperties: false`` and the items' ``minimum``/``maximum``.
It wraps Litestar's own struct schema plugin, which is private (``litestar._openapi``): this
module is the only place that imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

# Private: Litestar's schema for msgspec structs, reused rather than rewritten (see the docstring).
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins import OpenAPISchemaPlugin, ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

if TYPE_CHECKING:
    from litestar.openapi.spec import Schema
    from litestar.typing import FieldDefinition

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(msgspec.Struct, kw_only=True):
    """One offending input: its name (``None`` when the whole request is at fault) and why."""

    field: str | None
    message: str | None
    in_: str | msgspec.UnsetType = msgspec.field(default=msgspec.UNSET, name="in")


class Problem(msgspec.Struct, kw_only=True):
    """An RFC 9457 problem: ``type`` is ``urn:athenaeum:problem:<code>`` (or ``about:blank``);
    invalid input lists the offending fields under ``errors``. Some problems add members
    (``retry_after``, …)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | msgspec.UnsetType = msgspec.UNSET


DESCRIPTIONS = {
    400: "The request is malformed or invalid (see `errors`).",
    401: "No valid access token.",
    403: "Not allowed for this account.",
    404: "No such resource (or not yours to see).",
    409: "The resource's state does not allow it.",
    413: "The body is too large.",
    415: "The body is not JSON (or multipart for uploads).",
    422: "A value the rules refuse.",
    429: "Too many attempts; see `Retry-After`.",
    502: "A payment or messaging provider failed.",
    503: "The database is unavailable; see `Retry-After`.",
}

#: Operations that touch no database: no 503.
NO_DATABASE = frozenset({"Health", "Metrics", "Ready"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

#: Statuses an operation answers beyond the rules above, by operationId.
EXTRA_STATUSES: dict[str, tuple[int, ...]] = {
    # identity: credentials, the per-IP sign-in budget, taken names, admin-only user management
    "LogIn": (401, 429),
    "Register": (409, 429),
    "RefreshTokens": (401,),
    "UpdateMe": (409,),
    "RequestEmailChange": (409, 429),
    "ConfirmEmailChange": (409,),
    "ListUsers": (401, 403),
    "GetUser": (403,),
    "ReplaceUser": (403, 409),
    "UpdateUser": (403, 409),
    "DeleteUser": (403,),
    # catalog and reading: the catalog is the admins', reading sessions are premium
    "CreateBook": (403, 409),
    "ReplaceBook": (403, 409),
    "UpdateBook": (403, 409),
    "DeleteBook": (403, 409),
    "StartReading": (403, 409),
    "EndReading": (403, 409),
    "ListReadingSessions": (403,),
    "RecordReadingSession": (403, 404),
    "GetReadingSession": (403,),
    "DeleteReadingSession": (403,),
    "ReadingTotals": (403,),
    # chat: an unknown recipient, a room name the rules refuse
    "SendMessage": (403, 404),
    "ListRoomMessages": (403, 422),
    "MarkMessageRead": (403,),
    # focus, and music for premium readers
    "ListFocusSessions": (422,),
    "StartFocusSession": (404, 409),
    "StopFocusSession": (409,),
    "CreateFocusCategory": (409,),
    "UpdateFocusCategory": (409,),
    "FocusStatistics": (422,),
    "ListMusicTracks": (403,),
    "AddMusicTrack": (403,),
    "DeleteMusicTrack": (403,),
    # circulation and payments
    "BorrowBook": (403, 404, 409),
    "ReturnBook": (403, 409),
    "ListBorrowings": (403,),
    "ListOverdueBorrowings": (403,),
    "GetBorrowing": (403,),
    "PlaceHold": (404, 409),
    "CancelHold": (404,),
    "ListPayments": (403,),
    "GetPayment": (403,),
    "RenewPayment": (403, 409, 502),
    "BuyPremium": (409, 502),
    "PaymentSucceeded": (404,),
    "PaymentCancelled": (404,),
    "StripeWebhook": (401, 404),
    "SandboxCheckoutPay": (409,),
    # community
    "CreateOrganization": (409,),
    "AddOrganizationMember": (403, 409),
    "RemoveOrganizationMember": (403,),
    "CreateEvent": (403, 404),
    "ListEvents": (403,),
    "GetEvent": (403,),
    "GetEventCalendar": (403,),
    "CommentOnTask": (403,),
    "UpdateTask": (403,),
    "GetTask": (403,),
}


def problem_response(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem,
        description=DESCRIPTIONS[status],
        media_type=PROBLEM_MEDIA_TYPE,
        generate_examples=False,
    )


def statuses_for(handler: HTTPRouteHandler, *, has_path_parameters: bool) -> set[int]:
    """The problem statuses ``handler`` can answer, by the rules in the module's docstring."""
    operation_id = handler.operation_id if isinstance(handler.operation_id, str) else None
    statuses = {400}
    if operation_id not in NO_DATABASE:
        statuses.add(503)
    if handler.resolve_security():
        statuses.add(401)
    if has_path_parameters:
        statuses.add(404)
    if handler.http_methods & BODY_METHODS:
        statuses |= {413, 415, 422}
    statuses.update(EXTRA_STATUSES.get(operation_id or "", ()))
    return statuses


class ProblemResponses(ReceiveRoutePlugin):
    """Documents the problem responses of each HTTP route's handlers as the app registers them."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            own: dict[int, Any] = dict(handler.responses or {})
            documented = {
                status: problem_response(status)
                for status in statuses_for(handler, has_path_parameters=bool(route.path_parameters))
            }
            handler.responses = {**documented, **own}


class ClosedStructs(OpenAPISchemaPlugin):
    """Struct schemas that say what the struct enforces: ``additionalProperties: false`` when it
    refuses unknown fields, and the bounds of integer list items (``list[Id]``), which Litestar
    leaves out."""

    def __init__(self) -> None:
        self._structs = StructSchemaPlugin()

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return self._structs.is_plugin_supported_field(field_definition)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        schema = self._structs.to_openapi_schema(field_definition, schema_creator)
        struct = field_definition.type_
        if struct.__struct_config__.forbid_unknown_fields:
            schema.additional_properties = False
        info = msgspec.inspect.type_info(struct)
        for struct_field in getattr(info, "fields", ()):
            _bound_list_items(schema.properties, struct_field)
        return schema


def _bound_list_items(properties: Any, struct_field: msgspec.inspect.Field) -> None:
    """Copy ``ge``/``le`` of a ``list[Annotated[int, Meta(...)]]`` field onto its ``items`` schema."""
    kind = struct_field.type
    if isinstance(kind, msgspec.inspect.Metadata):
        kind = kind.type
    if not isinstance(kind, msgspec.inspect.ListType) or not isinstance(kind.item_type, msgspec.inspect.IntType):
        return
    prop = (properties or {}).get(struct_field.encode_name)
    items = getattr(prop, "items", None)
    if items is None or isinstance(items, list) or not hasattr(items, "minimum"):
        return
    if kind.item_type.ge is not None:
        items.minimum = kind.item_type.ge
    if kind.item_type.le is not None:
        items.maximum = kind.item_type.le
