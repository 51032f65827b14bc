"""``athenaeum demo-data`` fills an empty library once and adds nothing the second time."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import books, reading_sessions, session_stats, users
from entrypoints.cli import main
from entrypoints.container import App
from entrypoints.demo import load_demo_data
from entrypoints.demo.people import PASSWORD
from tests.integration.support import Api


async def counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            table.name: int(await conn.scalar(select(func.count()).select_from(table)) or 0)
            for table in (users, books, reading_sessions, session_stats)
        }


async def test_demo_data_is_loaded_once_and_shows_a_living_catalog(
    container: App, engine: AsyncEngine, api: Api
) -> None:
    lines: list[str] = []
    await load_demo_data(container, lines.append)
    first = await counts(engine)
    assert first["users"] == 5
    assert first["books"] == 30
    assert first["reading_sessions"] > 30
    assert first["user_session_stats"] == 5
    assert any("librarian@athenaeum.example" in line for line in lines)

    await load_demo_data(container, lines.append)
    assert await counts(engine) == first

    page = (await api.client.get("/api/books", params={"limit": 100})).json()
    assert page["total"] == 30
    assert sum(book["readers"] for book in page["items"]) > 0
    tokens = await api.login("ada@athenaeum.example", PASSWORD)
    me = (await api.client.get("/api/users/me", headers={"Authorization": f"Bearer {tokens['access']}"})).json()
    assert me["session_stats"]["total_seconds"] > 0
    mine = await api.client.get(
        "/api/reading-sessions", params={"limit": 1}, headers={"Authorization": f"Bearer {tokens['access']}"}
    )
    assert mine.json()["items"][0]["ended_at"] is None, "Ada is reading right now"


def test_the_command_migrates_an_embedded_database_and_can_run_twice(tmp_path: Path) -> None:
    env = {
        "ATHENAEUM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
        "ATHENAEUM_VAR_DIR": str(tmp_path / "var"),
        "ATHENAEUM_PASSWORD_MEMORY_KIB": "1024",
        "ATHENAEUM_PASSWORD_TIME_COST": "1",
        "ATHENAEUM_LOG_LEVEL": "warning",
    }
    runner = CliRunner()
    first = runner.invoke(main, ["demo-data"], env=env, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "books: 30 added" in first.output
    second = runner.invoke(main, ["demo-data"], env=env, catch_exceptions=False)
    assert second.exit_code == 0, second.output
    assert "no books or reading sessions added" in second.output
    assert "0 created, 5 already there" in second.output
