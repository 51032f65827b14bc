from __future__ import annotations

from tests.integration.support import Api, assert_problem


async def test_a_new_user_registers_logs_in_and_reads_their_profile(api: Api) -> None:
    ada = await api.user("ada")
    response = await api.client.get("/api/users/me", headers=ada.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "ada"
    assert body["session_stats"]["total_seconds"] == 0


async def test_health_and_readiness(api: Api) -> None:
    assert (await api.client.get("/health")).json() == {"status": "ok"}
    assert (await api.client.get("/ready")).status_code == 200


async def test_unknown_path_is_a_problem(api: Api) -> None:
    assert_problem(await api.client.get("/api/nothing-here"), 404)
