"""Music catalogue bodies."""

from __future__ import annotations

from typing import Annotated

import msgspec

from domain.music import TITLE_MAX, URL_MAX, MusicTrack

TrackTitle = Annotated[str, msgspec.Meta(min_length=1, max_length=TITLE_MAX + 32, examples=["Rain on the window"])]
TrackUrl = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=URL_MAX + 32,
        description="A path under `/media/` or an `https://` URL.",
        examples=["/media/music/rain.wav"],
    ),
]


class TrackCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: TrackTitle
    url: TrackUrl


class TrackResponse(msgspec.Struct, kw_only=True):
    id: int
    title: str
    url: str

    @classmethod
    def of(cls, track: MusicTrack) -> TrackResponse:
        return cls(id=track.id or 0, title=track.title, url=track.url)
