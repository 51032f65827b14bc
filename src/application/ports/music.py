"""Ports of the music catalogue."""

from __future__ import annotations

from typing import Protocol

from application.ports.uow import UnitOfWork
from application.results import Page, PageRequest
from domain.music import MusicTrack, TrackId


class MusicTrackRepository(Protocol):
    async def add(self, track: MusicTrack) -> MusicTrack:
        """Insert and return the track with its id."""
        ...

    async def delete(self, track_id: TrackId) -> bool: ...

    async def list(self, page: PageRequest) -> Page[MusicTrack]:
        """By id (the order they were added)."""
        ...

    async def any(self) -> bool: ...


class MusicUnitOfWork(UnitOfWork, Protocol):
    music_tracks: MusicTrackRepository
