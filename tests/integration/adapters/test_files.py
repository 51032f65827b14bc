"""The file adapters on their own: names we choose, deletes that stay inside MEDIA_DIR."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters.files.images import PillowImageCleaner
from adapters.files.local_storage import LocalMediaStorage
from application.errors import PayloadTooLarge, UnsupportedMedia
from domain.errors import InvalidValue
from tests.integration.community_support import png_bomb, png_bytes


async def test_saved_files_get_new_names_and_deletes_stay_inside(tmp_path: Path) -> None:
    storage = LocalMediaStorage(tmp_path / "media")
    url = await storage.save("uploads", b"data", ".png")
    assert re.fullmatch(r"/media/uploads/[0-9a-f]{32}\.png", url)
    stored = tmp_path / "media" / url.removeprefix("/media/")
    assert stored.read_bytes() == b"data"
    assert [p.name for p in stored.parent.iterdir()] == [stored.name], "no temporary file left behind"

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    for foreign in ("/media/../victim.txt", "/media/uploads/../../victim.txt", "/etc/passwd", "victim.txt"):
        await storage.delete(foreign)
    assert victim.read_text() == "keep me"
    await storage.delete(url)
    assert not stored.exists()
    await storage.delete(url)  # already gone: nothing happens


@pytest.mark.parametrize(("folder", "extension"), [("../up", ".png"), ("up/x", ".png"), ("up", "png"), ("up", "./x")])
async def test_folders_and_extensions_are_checked(tmp_path: Path, folder: str, extension: str) -> None:
    with pytest.raises(ValueError, match="invalid"):
        await LocalMediaStorage(tmp_path).save(folder, b"x", extension)


async def test_the_cleaner_detects_refuses_and_strips() -> None:
    cleaner = PillowImageCleaner(max_pixels=1_000_000, max_bytes=1_000_000)
    clean = await cleaner.clean(png_bytes(30, 20, Secret="hidden"))
    assert (clean.format, clean.extension, clean.width, clean.height) == ("png", ".png", 30, 20)
    assert b"hidden" not in clean.data
    with pytest.raises(UnsupportedMedia):
        await cleaner.clean(b"GIF89a not really")
    with pytest.raises(InvalidValue):
        await cleaner.clean(png_bomb(1001, 1000))
    with pytest.raises(PayloadTooLarge):
        await cleaner.clean(b"\0" * 1_000_001)
