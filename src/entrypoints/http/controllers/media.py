"""Uploads and media: ``POST /api/uploads``, ``POST /api/users/me/avatar``, and ``/media/`` itself.

Size is enforced twice while the body streams in: the route refuses a body larger than
5 MB plus a small allowance for the multipart envelope (413, before reading it when the
``Content-Length`` says so), and the file part is read in chunks and refused as soon as it
passes 5 MB (413). The content type and file name the client sends are ignored: the image
is identified by decoding it (415 if it is not a PNG, JPEG or WebP image).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Controller, Response, Router, post
from litestar.datastructures import CacheControlHeader, UploadFile
from litestar.di import NamedDependency
from litestar.params import MultipartBody
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from application.errors import PayloadTooLarge, UnsupportedMedia
from application.ports.storage import MAX_IMAGE_BYTES
from application.use_cases.identity import Principal
from application.use_cases.media import ChangeAvatar, UploadImage
from entrypoints.http.deps import use_case
from entrypoints.http.schemas.community import UploadResponse
from entrypoints.http.schemas.identity import ProfileResponse

#: Room for the multipart boundaries and part headers (and an event's text fields) on top of the file.
ENVELOPE_BYTES = 64 * 1024
UPLOAD_BODY_LIMIT = MAX_IMAGE_BYTES + ENVELOPE_BYTES
CHUNK_BYTES = 64 * 1024

IMAGE_RULES = (
    "Multipart `file`: a PNG, JPEG or WebP image of at most 5 MB (413 above). The type is detected by "
    "decoding the image, not from the file name or the part's content type: anything else → 415; more "
    "than 40 megapixels → 422. The image is re-encoded without its metadata (EXIF, GPS, comments) and "
    "stored under a name chosen by the server."
)


@dataclass
class FileUpload:
    file: UploadFile


async def read_upload(upload: Any, limit: int = MAX_IMAGE_BYTES) -> bytes:
    """The bytes of an uploaded file part, read in chunks; 413 as soon as it passes ``limit``."""
    if not isinstance(upload, UploadFile):
        raise UnsupportedMedia("Send the image as a file part of a multipart/form-data body.")
    try:
        data = bytearray()
        while chunk := await upload.read(CHUNK_BYTES):
            data += chunk
            if len(data) > limit:
                raise PayloadTooLarge(f"The file is larger than {limit // (1024 * 1024)} MB.")
        return bytes(data)
    finally:
        await upload.close()


class UploadsController(Controller):
    path = "/api/uploads"
    tags = ["Media"]
    security = [{"BearerAuth": []}]
    dependencies = {"upload_image": use_case(lambda c: c.media.upload_image)}

    @post(
        status_code=HTTP_201_CREATED,
        operation_id="UploadImage",
        summary="Upload an image",
        description=f"{IMAGE_RULES} Answers `{{url}}`, a path under `/media/`.",
        request_max_body_size=UPLOAD_BODY_LIMIT,
    )
    async def upload(
        self,
        data: MultipartBody[FileUpload],
        principal: NamedDependency[Principal],
        upload_image: NamedDependency[UploadImage],
    ) -> UploadResponse:
        return UploadResponse(url=await upload_image(data=await read_upload(data.file)))


class AvatarController(Controller):
    path = "/api/users/me/avatar"
    tags = ["Identity"]
    security = [{"BearerAuth": []}]
    dependencies = {"change_avatar": use_case(lambda c: c.media.change_avatar)}

    @post(
        status_code=HTTP_200_OK,
        operation_id="ChangeAvatar",
        summary="Change your avatar",
        description=f"{IMAGE_RULES} Answers your profile with the new `avatar_url`; the old file is removed.",
        request_max_body_size=UPLOAD_BODY_LIMIT,
    )
    async def change(
        self,
        data: MultipartBody[FileUpload],
        principal: NamedDependency[Principal],
        change_avatar: NamedDependency[ChangeAvatar],
    ) -> ProfileResponse:
        profile = await change_avatar(user_id=principal.user_id, data=await read_upload(data.file))
        return ProfileResponse.of(profile)


def _nosniff(response: Response[Any]) -> Response[Any]:
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def media_router(media_dir: str) -> Router:
    """Serve ``MEDIA_DIR`` under ``/media/``. Names are unique and files never change, so
    they may be cached for a year; ``nosniff`` keeps browsers from guessing other types."""
    Path(media_dir).mkdir(parents=True, exist_ok=True)
    return create_static_files_router(
        path="/media",
        directories=[Path(media_dir).resolve()],
        name="media",
        cache_control=CacheControlHeader(max_age=365 * 24 * 3600, public=True),
        after_request=_nosniff,
        include_in_schema=False,
    )
