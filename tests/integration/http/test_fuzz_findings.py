"""Regressions for what the schemathesis run (tests/integration/security/test_fuzz.py) found, and
the schema promises it holds the app to."""

from __future__ import annotations

import re
from typing import Any

from tests.integration.support import Api, assert_problem

BEYOND_INTEGER_COLUMN = 2**31


async def test_chat_ids_beyond_the_integer_columns_are_refused_as_invalid_input(api: Api) -> None:
    """They used to pass validation (bounded at 2**63 - 1) and fail in the database."""
    ada = await api.user()
    conversation = await api.client.get(f"/api/chat/messages/{BEYOND_INTEGER_COLUMN}", headers=ada.headers)
    assert_problem(conversation, 400, field="user_id")
    read = await api.client.post(f"/api/chat/messages/{BEYOND_INTEGER_COLUMN}/read", headers=ada.headers)
    assert_problem(read, 400, field="message_id")
    sent = await api.client.post(
        "/api/chat/messages", json={"recipient_id": BEYOND_INTEGER_COLUMN, "text": "hi"}, headers=ada.headers
    )
    assert_problem(sent, 400)


async def test_an_event_form_with_a_repeated_or_null_date_is_refused(api: Api) -> None:
    """A repeated ``date`` was read as its first value, and the text ``null`` as no date at all."""
    ada = await api.user()
    repeated = await api.client.post(
        "/api/events",
        files=[("title", (None, "Poetry night")), ("date", (None, "2026-12-01")), ("date", (None, "2026-12-02"))],
        headers=ada.headers,
    )
    assert_problem(repeated, 400, field="date")
    null = await api.client.post(
        "/api/events", files=[("title", (None, "Poetry night")), ("date", (None, "null"))], headers=ada.headers
    )
    assert_problem(null, 400, field="date")
    empty = await api.client.post(
        "/api/events", files=[("title", (None, "Poetry night")), ("date", (None, ""))], headers=ada.headers
    )
    assert empty.status_code == 202, empty.text


async def test_focus_session_filters_take_rfc3339_date_times_in_either_case(api: Api) -> None:
    """The schema says ``format: date-time`` (RFC 3339), which allows a lowercase ``t`` and ``z``."""
    ada = await api.user()
    for moment in ("2026-01-01T00:00:00Z", "2026-01-01t00:00:00z", "2026-01-01T00:00:00.123456+02:00"):
        response = await api.client.get("/api/focus/sessions", params={"from": moment}, headers=ada.headers)
        assert response.status_code == 200, (moment, response.text)
    assert_problem(
        await api.client.get("/api/focus/sessions", params={"to": "soon"}, headers=ada.headers), 400, field="to"
    )


def _problem_statuses(operation: dict[str, Any]) -> dict[str, str]:
    return {
        status: next(iter(response["content"]))
        for status, response in operation["responses"].items()
        if int(status) >= 400
    }


async def test_the_schema_documents_each_operations_problems_and_closed_bodies(api: Api) -> None:
    schema = (await api.client.get("/schema/openapi.json")).json()
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}

    operations = {
        operation["operationId"]: operation
        for item in schema["paths"].values()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }
    for operation_id, operation in operations.items():
        statuses = _problem_statuses(operation)
        assert "400" in statuses, operation_id
        assert set(statuses.values()) == {"application/problem+json"}, (operation_id, statuses)
    assert {"401", "404", "409", "503"} <= set(_problem_statuses(operations["PlaceHold"]))
    assert "403" in _problem_statuses(operations["ListOverdueBorrowings"])
    assert {"413", "415", "422"} <= set(_problem_statuses(operations["CreateBook"]))
    assert "401" not in _problem_statuses(operations["Health"])

    schemas = schema["components"]["schemas"]
    assert schemas["LoginRequest"]["additionalProperties"] is False
    assert schemas["OrganizationCreate"]["properties"]["member_ids"]["items"]["maximum"] == 2**31 - 1
    chat_path = schema["paths"]["/api/chat/messages/{user_id}"]["get"]["parameters"][0]
    assert chat_path["schema"]["maximum"] == 2**31 - 1

    def query(path: str, name: str) -> dict[str, Any]:
        parameters = schema["paths"][path]["get"]["parameters"]
        return next(p["schema"] for p in parameters if p["in"] == "query" and p["name"] == name)

    # a NUL in any query string is a 400 (before the handler), and the schema says so
    assert query("/api/events", "search")["pattern"] == "^[^\x00]*$"
    assert query("/api/books", "author")["pattern"] == "^[^\x00]*$"
    assert query("/api/focus/sessions", "from")["format"] == "date-time"


async def test_an_event_form_takes_every_id_list_its_schema_allows_and_refuses_other_text(api: Api) -> None:
    """The multipart ``organization_ids`` text was documented as any string; text that is not a
    list of ids is refused, and the schema now says which text is a list of ids."""
    ada = await api.user()
    org = await api.client.post("/api/organizations", json={"title": "Readers' circle"}, headers=ada.headers)
    org_id = org.json()["id"]
    schema = (await api.client.get("/schema/openapi.json")).json()
    form = schema["paths"]["/api/events"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    pattern = next(alt["pattern"] for alt in form["properties"]["organization_ids"]["oneOf"] if "pattern" in alt)

    for text in (f"{org_id}", f" {org_id} ,, {org_id}", ""):
        assert re.fullmatch(pattern, text)
        made = await api.client.post(
            "/api/events",
            files=[("title", (None, "Poetry night")), ("organization_ids", (None, text))],
            headers=ada.headers,
        )
        assert made.status_code == 202, made.text
    for text in ("three", "0", "1 2", "9999999999"):
        assert not re.fullmatch(pattern, text)
        refused = await api.client.post(
            "/api/events",
            files=[("title", (None, "Poetry night")), ("organization_ids", (None, text))],
            headers=ada.headers,
        )
        assert refused.status_code in {400, 422}, refused.text
