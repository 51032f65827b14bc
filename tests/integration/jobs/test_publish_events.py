"""The publish delay is durable: a stored moment and a job, nothing that sleeps."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from entrypoints.container import App, build_container, close_gateways
from entrypoints.http.app import create_app
from entrypoints.scheduler.jobs import JOBS, job_named
from entrypoints.scheduler.service import SchedulerService
from entrypoints.settings import Settings
from tests.integration.community_support import MovableClock, publish
from tests.integration.conftest import make_settings
from tests.integration.support import Api


def _settings_like(settings: Settings, tmp_path: Path, **overrides: Any) -> Settings:
    return make_settings(settings.database_url, tmp_path, **overrides)


async def test_a_scheduled_event_is_published_after_a_restart(settings: Settings, tmp_path: Path, engine: Any) -> None:
    """Create with one process, stop it; a new process on the same database publishes it when due."""
    clock = MovableClock()
    first = build_container(settings)
    first.gateways.clock.override(providers.Object(clock))
    async with AsyncTestClient(create_app(first), base_url="http://testserver.local") as client:
        api = Api(client, first)
        ada = await api.user()
        response = await client.post("/api/events", json={"title": "Survives"}, headers=ada.headers)
        assert response.status_code == 202
        event_id = response.json()["id"]
    await close_gateways(first)  # the first "process" is gone, its pool closed

    clock.advance(seconds=61)
    second = build_container(settings)
    second.gateways.clock.override(providers.Object(clock))
    try:
        async with AsyncTestClient(create_app(second), base_url="http://testserver.local") as client:
            api = Api(client, second)
            bob = await api.user()
            assert (await client.get(f"/api/events/{event_id}", headers=bob.headers)).status_code == 404
            assert await publish(second) == [event_id]
            detail = await client.get(f"/api/events/{event_id}", headers=bob.headers)
            assert detail.status_code == 200
            assert detail.json()["title"] == "Survives"
    finally:
        await close_gateways(second)


@pytest.mark.slow
async def test_with_a_one_second_delay_the_running_scheduler_publishes_the_event(
    settings: Settings, tmp_path: Path, engine: Any
) -> None:
    quick = _settings_like(settings, tmp_path, event_publish_delay_seconds=1)
    container = build_container(quick)
    container.gateways.engine.override(providers.Object(engine))
    scheduler = SchedulerService(container, jobs=[job_named("publish_events")], leadership_interval=0.2)
    async with AsyncTestClient(create_app(container, services=[scheduler]), base_url="http://t.local") as client:
        api = Api(client, container)
        ada = await api.user()
        started = time.perf_counter()
        response = await client.post("/api/events", json={"title": "Soon"}, headers=ada.headers)
        assert response.status_code == 202
        assert time.perf_counter() - started < 1.0
        event_id = response.json()["id"]
        assert (await client.get(f"/api/events/{event_id}", headers=ada.headers)).status_code == 404

        seen_after = None
        for _ in range(50):
            await asyncio.sleep(0.1)
            if (await client.get(f"/api/events/{event_id}", headers=ada.headers)).status_code == 200:
                seen_after = time.perf_counter() - started
                break
        assert seen_after is not None, "the job published the event"
        assert seen_after >= 1.0, f"published after {seen_after:.2f} s, before the delay"


def test_publish_events_is_a_registered_job_that_runs_every_second(settings: Settings) -> None:
    spec = job_named("publish_events")
    assert spec in JOBS
    assert spec.trigger(settings).interval.total_seconds() == 1  # type: ignore[attr-defined]


@pytest.mark.postgres
async def test_competing_publishers_publish_each_event_once(api: Api, container: App) -> None:
    clock = MovableClock()
    container.gateways.clock.override(providers.Object(clock))
    ada = await api.user()
    ids = []
    for i in range(30):
        response = await api.client.post("/api/events", json={"title": f"e{i}"}, headers=ada.headers)
        ids.append(response.json()["id"])
    clock.advance(seconds=60)
    results = await asyncio.gather(*(container.community.publish_due_events()() for _ in range(5)))
    published = [event_id for report in results for event_id in report.published]
    assert sorted(published) == sorted(ids), "every event once, none twice"
