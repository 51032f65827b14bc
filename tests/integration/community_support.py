"""Helpers for the organizations, events and media tests: a clock to move, images to send."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from dependency_injector import providers
from PIL import Image

from entrypoints.container import App
from tests.clock import MovableClock as _Clock
from tests.integration.support import Account, Api


class MovableClock(_Clock):
    """Starts ten minutes before the real time: JWTs issued on it stay valid (not yet expired,
    not issued in the future) while tests move it by minutes."""

    def __init__(self, moment: datetime | None = None) -> None:
        super().__init__(moment or datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10))


def use_clock(container: App, clock: MovableClock) -> MovableClock:
    container.gateways.clock.override(providers.Object(clock))
    return clock


def png_bytes(width: int = 32, height: int = 24, *, color: tuple[int, int, int] = (200, 30, 60), **info: str) -> bytes:
    """A real PNG; ``info`` becomes tEXt chunks (metadata that must not survive an upload)."""
    from PIL import PngImagePlugin

    image = Image.new("RGB", (width, height), color)
    meta = PngImagePlugin.PngInfo()
    for key, value in info.items():
        meta.add_text(key, value)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=meta)
    return out.getvalue()


def jpeg_with_exif(width: int = 40, height: int = 30) -> bytes:
    """A JPEG carrying EXIF: a camera model and a GPS position."""
    image = Image.new("RGB", (width, height), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0110] = "Spy camera 3000"  # Model
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0)}  # GPSInfo: latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims 10 gigapixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\x00" * (width + 1) * 16, 9)  # only a few rows; the header is what matters
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


async def make_organization(api: Api, owner: Account, title: str = "Readers", **fields: Any) -> dict[str, Any]:
    response = await api.client.post("/api/organizations", json={"title": title, **fields}, headers=owner.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def schedule_event(api: Api, owner: Account, title: str = "Book fair", **fields: Any) -> dict[str, Any]:
    response = await api.client.post("/api/events", json={"title": title, **fields}, headers=owner.headers)
    assert response.status_code == 202, response.text
    return dict(response.json())


async def publish(container: App) -> list[int]:
    """Run the ``publish_events`` job once, as the scheduler does."""
    from entrypoints.scheduler.jobs import job_named

    report = await job_named("publish_events").run(container)
    return list(report.published)  # type: ignore[attr-defined]
