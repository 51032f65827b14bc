"""Music use cases: premium members list the tracks; admins add and remove them."""

from __future__ import annotations

from collections.abc import Callable

from application.errors import NotFound
from application.ports.clock import Clock
from application.ports.music import MusicUnitOfWork
from application.results import Page, PageRequest
from domain.music import MusicTrack, TrackId

UowFactory = Callable[[], MusicUnitOfWork]


class ListMusicTracks:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, page: PageRequest) -> Page[MusicTrack]:
        async with self._uow() as uow:
            return await uow.music_tracks.list(page)


class AddMusicTrack:
    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, *, title: str, url: str) -> MusicTrack:
        track = MusicTrack.add(title=title, url=url, now=self._clock.now())
        async with self._uow() as uow:
            track = await uow.music_tracks.add(track)
            await uow.commit()
        return track


class DeleteMusicTrack:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, track_id: TrackId) -> None:
        async with self._uow() as uow:
            if not await uow.music_tracks.delete(track_id):
                raise NotFound("music track", track_id)
            await uow.commit()
