"""``/api/music/tracks``: background music for premium members, managed by admins."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from application.results import PageRequest
from application.use_cases.identity import Principal
from application.use_cases.music import AddMusicTrack, DeleteMusicTrack, ListMusicTracks
from domain.music import TrackId
from entrypoints.http.deps import ResourceId, use_case
from entrypoints.http.schemas.common import PageResponse
from entrypoints.http.schemas.music import TrackCreate, TrackResponse


class MusicController(Controller):
    path = "/api/music/tracks"
    tags = ["Focus timer"]
    security = [{"BearerAuth": []}]
    dependencies = {
        "list_tracks": use_case(lambda c: c.focus.list_tracks),
        "add_track": use_case(lambda c: c.focus.add_track),
        "delete_track": use_case(lambda c: c.focus.delete_track),
    }

    @get(
        operation_id="ListMusicTracks",
        summary="Background tracks (premium)",
        description="For premium members and admins; others → 403, no token → 401. In the order they were added.",
    )
    async def list_tracks_(
        self,
        premium: NamedDependency[Principal],
        page: NamedDependency[PageRequest],
        list_tracks: NamedDependency[ListMusicTracks],
    ) -> PageResponse[TrackResponse]:
        return PageResponse.of(await list_tracks(page=page), TrackResponse.of)

    @post(
        status_code=HTTP_201_CREATED,
        operation_id="AddMusicTrack",
        summary="Add a track (admin)",
        description=(
            "`title`: 1-255 characters on one line. `url`: a path under `/media/` (a file served by this "
            "service, e.g. `/media/music/rain.wav`; segments of letters, digits, `.-_~` and %-escapes, no `..`) "
            "or an absolute `https://` URL without credentials; anything else → 422 naming `url`."
        ),
    )
    async def add(
        self, data: JSONBody[TrackCreate], admin: NamedDependency[Principal], add_track: NamedDependency[AddMusicTrack]
    ) -> TrackResponse:
        return TrackResponse.of(await add_track(title=data.title, url=data.url))

    @delete(
        "/{track_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="DeleteMusicTrack",
        summary="Remove a track (admin)",
    )
    async def remove(
        self, track_id: ResourceId, admin: NamedDependency[Principal], delete_track: NamedDependency[DeleteMusicTrack]
    ) -> None:
        await delete_track(track_id=TrackId(track_id))
