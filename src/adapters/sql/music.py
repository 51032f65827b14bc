"""SQL repository of the music catalogue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.common import paged
from adapters.sql.tables import music_tracks
from application.results import Page, PageRequest
from domain.music import MusicTrack, TrackId

_MAX_ID = 2**31 - 1


def track_from_row(row: Any) -> MusicTrack:
    return MusicTrack(id=TrackId(row.id), title=row.title, url=row.url, created_at=row.created_at)


class SqlMusicTrackRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, track: MusicTrack) -> MusicTrack:
        new_id = await self._conn.scalar(
            insert(music_tracks)
            .values(title=track.title, url=track.url, created_at=track.created_at)
            .returning(music_tracks.c.id)
        )
        track.id = TrackId(int(new_id))
        return track

    async def delete(self, track_id: TrackId) -> bool:
        if not 1 <= track_id <= _MAX_ID:
            return False
        result = await self._conn.execute(delete(music_tracks).where(music_tracks.c.id == track_id))
        return bool(result.rowcount)

    async def list(self, page: PageRequest) -> Page[MusicTrack]:
        return await paged(self._conn, select(music_tracks).order_by(music_tracks.c.id), page, track_from_row)

    async def any(self) -> bool:
        return (await self._conn.scalar(select(music_tracks.c.id).limit(1))) is not None
