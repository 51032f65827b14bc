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


async def test_services_start_with_the_app_and_stop_with_it(container) -> None:
    from litestar.testing import AsyncTestClient

    from entrypoints.http.app import create_app

    events: list[str] = []

    class Recorder:
        async def start(self) -> None:
            events.append("start")

        async def stop(self) -> None:
            events.append("stop")

    async with AsyncTestClient(create_app(container, services=[Recorder()])) as client:
        assert events == ["start"]
        assert (await client.get("/health")).status_code == 200
    assert events == ["start", "stop"]


async def test_metrics_count_requests_by_route(api: Api) -> None:
    await api.client.get("/health")
    body = (await api.client.get("/metrics")).text
    assert 'athenaeum_http_requests_total{method="GET",route="/health",status="200"} 1.0' in body
    assert "athenaeum_outbox_pending" in body


async def test_an_id_beyond_the_database_range_is_a_client_error(api: Api) -> None:
    admin = await api.user("root", admin=True)
    response = await api.client.get(f"/api/users/{2**63 + 5}", headers=admin.headers)
    assert_problem(response, 400)


async def test_nul_characters_are_a_client_error_not_a_server_error(api: Api) -> None:
    assert_problem(await api.client.get("/api/users", params={"search": "a\x00b"}), 400)
    ada = await api.user("ada")
    response = await api.client.patch("/api/users/me", json={"country": "Fr\x00ance"}, headers=ada.headers)
    assert 400 <= response.status_code < 500, response.text
