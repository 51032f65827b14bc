"""The OpenAPI document describes the focus timer: ids, summaries, tags, security, parameters."""

from __future__ import annotations

from typing import Any

from tests.integration.support import Api

OPERATIONS = (
    "ListFocusCategories",
    "CreateFocusCategory",
    "UpdateFocusCategory",
    "DeleteFocusCategory",
    "StartFocusSession",
    "StopFocusSession",
    "ListFocusSessions",
    "ListAchievements",
    "FocusStatistics",
    "ListMusicTracks",
    "AddMusicTrack",
    "DeleteMusicTrack",
)


async def test_every_focus_operation_is_documented(api: Api) -> None:
    document = (await api.client.get("/schema/openapi.json")).json()
    operations = {
        op["operationId"]: op for path in document["paths"].values() for op in path.values() if isinstance(op, dict)
    }
    for name in OPERATIONS:
        operation = operations[name]
        assert operation["tags"] == ["Focus timer"], name
        assert operation["security"] == [{"BearerAuth": []}], name
        assert operation["summary"], name
    for name in ("StartFocusSession", "ListFocusSessions", "ListAchievements", "FocusStatistics", "AddMusicTrack"):
        assert len(operations[name]["description"]) > 100, name
    names = {parameter["name"] for parameter in operations["ListFocusSessions"]["parameters"]}
    assert {"from", "to", "category_id", "limit", "offset"} <= names
    schemas = document["components"]["schemas"]

    def enum(parameter: dict[str, Any]) -> set[str]:
        return set(schemas[parameter["schema"]["$ref"].rsplit("/", 1)[1]]["enum"])

    stats = {parameter["name"]: parameter for parameter in operations["FocusStatistics"]["parameters"]}
    assert enum(stats["period"]) == {"day", "week", "month", "year"}
    assert enum(stats["format"]) == {"json", "svg"}
    assert "IANA" in stats["tz"]["description"]
    assert set(operations["FocusStatistics"]["responses"]["200"]["content"]) == {"application/json", "image/svg+xml"}
