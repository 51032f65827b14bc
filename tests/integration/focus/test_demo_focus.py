"""``athenaeum demo-data`` adds focus categories and playable music tracks, once."""

from __future__ import annotations

import wave
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import focus_categories, music_tracks
from entrypoints.container import App
from entrypoints.demo import load_demo_data
from tests.integration.support import Api


async def counts(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as conn:
        categories = await conn.scalar(select(func.count()).select_from(focus_categories))
        tracks = await conn.scalar(select(func.count()).select_from(music_tracks))
    return int(categories or 0), int(tracks or 0)


async def test_demo_tracks_are_real_files_under_media_and_are_added_once(
    container: App, engine: AsyncEngine, api: Api
) -> None:
    lines: list[str] = []
    await load_demo_data(container, lines.append)
    assert await counts(engine) == (9, 3)
    await load_demo_data(container, lines.append)
    assert await counts(engine) == (9, 3)
    assert any("music: 3 tracks added" in line for line in lines)
    assert any("none added" in line for line in lines)

    premium = await api.user(premium=True)
    tracks = (await api.client.get("/api/music/tracks", headers=premium.headers)).json()["items"]
    media = Path(container.settings().media_dir)
    for track in tracks:
        assert track["url"].startswith("/media/music/")
        with wave.open(str(media / track["url"].removeprefix("/media/"))) as sound:
            assert sound.getnframes() / sound.getframerate() >= 5
