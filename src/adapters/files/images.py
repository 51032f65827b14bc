"""Image validation with Pillow: decode for real, refuse bombs, re-encode without metadata.

The format is the one Pillow detects in the bytes; the client's file name and content type
are never consulted. Only PNG, JPEG and WebP are accepted. The image is decoded in full
(a truncated or corrupt file is refused), and the size in pixels is checked from the header
before any pixel is decoded, so a small file that would expand to gigabytes (a
decompression bomb) is refused cheaply. The stored copy is re-encoded from the pixels
alone: EXIF (GPS position, camera), XMP, text chunks and ICC profiles are dropped; a JPEG's
EXIF orientation is applied first so the picture still shows the right way up.
"""

from __future__ import annotations

import asyncio
import io
import struct

from PIL import Image, ImageOps, UnidentifiedImageError

from application.errors import PayloadTooLarge, UnsupportedMedia
from application.ports.storage import MAX_IMAGE_BYTES, CleanImage
from domain.errors import InvalidValue

#: 40 megapixels: any photo a phone takes, and at most ~160 MB of RGBA pixels while working.
DEFAULT_MAX_PIXELS = 40_000_000

#: Pillow's name of a format → (our name, file extension).
FORMATS = {"PNG": ("png", ".png"), "JPEG": ("jpeg", ".jpg"), "WEBP": ("webp", ".webp")}

_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)


class PillowImageCleaner:
    def __init__(self, *, max_pixels: int = DEFAULT_MAX_PIXELS, max_bytes: int = MAX_IMAGE_BYTES) -> None:
        self._max_pixels = max_pixels
        self._max_bytes = max_bytes
        # Pillow's own guard (``Image.MAX_IMAGE_PIXELS``, process-wide: a warning above ~89
        # megapixels, DecompressionBombError above twice that) stays as it is; ours is checked
        # from the header right after opening, before any pixel is decoded, and Pillow's error
        # is turned into the same answer.

    async def clean(self, data: bytes) -> CleanImage:
        if len(data) > self._max_bytes:
            raise PayloadTooLarge(f"The image is larger than {self._max_bytes // (1024 * 1024)} MB.")
        if not data:
            raise UnsupportedMedia("The file is empty.")
        # Decoding and encoding are CPU work: keep them off the event loop.
        return await asyncio.to_thread(self._clean, data)

    def _clean(self, data: bytes) -> CleanImage:
        try:
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
                detected = str(probe.format)
                self._check_size(*probe.size)
                probe.verify()
            with Image.open(io.BytesIO(data), formats=[detected]) as image:
                image.load()
                return self._reencode(image, detected)
        except Image.DecompressionBombError as exc:
            raise self._too_many_pixels() from exc
        except _DECODE_ERRORS as exc:
            raise UnsupportedMedia("Send a PNG, JPEG or WebP image; this file is not one that decodes.") from exc

    def _check_size(self, width: int, height: int) -> None:
        if width <= 0 or height <= 0:
            raise UnsupportedMedia("The image has no pixels.")
        if width * height > self._max_pixels:
            raise self._too_many_pixels()

    def _too_many_pixels(self) -> InvalidValue:
        return InvalidValue("file", f"The image has more than {self._max_pixels:,} pixels.")

    @staticmethod
    def _reencode(image: Image.Image, detected: str) -> CleanImage:
        name, extension = FORMATS[detected]
        upright = ImageOps.exif_transpose(image) or image
        has_alpha = upright.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or (
            upright.mode == "P" and "transparency" in upright.info
        )
        if has_alpha and detected != "JPEG":
            mode = "RGBA"
        elif upright.mode in {"L", "1"}:
            mode = "L"
        else:
            mode = "RGB"
        pixels = upright.convert(mode)
        # A fresh image from the raw pixels carries no metadata at all.
        clean = Image.frombytes(mode, pixels.size, pixels.tobytes())
        out = io.BytesIO()
        if detected == "PNG":
            clean.save(out, format="PNG")
        elif detected == "JPEG":
            clean.save(out, format="JPEG", quality=90, optimize=True)
        else:
            clean.save(out, format="WEBP", quality=90)
        return CleanImage(data=out.getvalue(), format=name, extension=extension, width=clean.width, height=clean.height)
