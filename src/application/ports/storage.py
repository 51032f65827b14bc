"""Media: validated images, and where files are kept and served from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

#: The largest image accepted (5 MiB), for uploads, avatars and event images.
MAX_IMAGE_BYTES = 5 * 1024 * 1024

#: Folders under the media root, one per use.
UPLOADS, AVATARS, EVENT_IMAGES = "uploads", "avatars", "events"


@dataclass(frozen=True, slots=True)
class CleanImage:
    """An image that decoded for real, re-encoded without its metadata."""

    data: bytes
    format: str  # "png", "jpeg" or "webp": the format detected from the content
    extension: str  # ".png", ".jpg" or ".webp"
    width: int
    height: int


class ImageCleaner(Protocol):
    async def clean(self, data: bytes) -> CleanImage:
        """Decode ``data`` and re-encode it without metadata.

        Raises ``UnsupportedMedia`` when it is not a PNG, JPEG or WebP image that decodes,
        and ``InvalidValue("file", …)`` when it has too many pixels (decompression bombs).
        """
        ...


class MediaStorage(Protocol):
    async def save(self, folder: str, data: bytes, extension: str) -> str:
        """Store ``data`` under a new server-generated name in ``folder``; return its public
        URL path (``/media/<folder>/<name><extension>``)."""
        ...

    async def delete(self, url: str) -> None:
        """Remove a file this storage saved (by its URL path); unknown URLs are ignored."""
        ...
