"""Uploads, avatars and /media/: only real images, at most 5 MB, stored under our own names."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from PIL import Image

from entrypoints.container import App
from tests.integration.community_support import jpeg_with_exif, png_bomb, png_bytes
from tests.integration.support import Account, Api, assert_problem

MB = 1024 * 1024
STORED_NAME = re.compile(r"^/media/(uploads|avatars|events)/[0-9a-f]{32}\.(png|jpg|webp)$")


async def upload(api: Api, who: Account, data: bytes, name: str = "picture.png", content_type: str = "image/png"):
    return await api.client.post("/api/uploads", files={"file": (name, data, content_type)}, headers=who.headers)


def stored_files(container: App) -> list[Path]:
    return sorted(path for path in Path(container.settings().media_dir).rglob("*") if path.is_file())


async def test_a_png_round_trips_through_media_without_its_metadata(api: Api) -> None:
    ada = await api.user()
    original = png_bytes(64, 48, Comment="secret note", Author="Ada")
    response = await upload(api, ada, original)
    assert response.status_code == 201, response.text
    url = response.json()["url"]
    assert STORED_NAME.match(url), url
    assert url.startswith("/media/uploads/")

    served = await api.client.get(url)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    image = Image.open(io.BytesIO(served.content))
    image.load()
    assert image.format == "PNG"
    assert image.size == (64, 48)
    assert image.getpixel((10, 10)) == (200, 30, 60)
    assert "Comment" not in image.info
    assert "Author" not in image.info
    assert b"secret note" not in served.content


async def test_a_jpeg_loses_its_exif_and_webp_is_accepted(api: Api) -> None:
    ada = await api.user()
    original = jpeg_with_exif()
    assert Image.open(io.BytesIO(original)).getexif(), "the test image does carry EXIF"
    response = await upload(api, ada, original, "photo.jpeg", "image/jpeg")
    assert response.status_code == 201, response.text
    url = response.json()["url"]
    assert url.endswith(".jpg")
    served = Image.open(io.BytesIO((await api.client.get(url)).content))
    assert served.format == "JPEG"
    assert served.size == (40, 30)
    assert not served.getexif(), "no camera model, no GPS position"

    webp = io.BytesIO()
    Image.new("RGBA", (20, 10), (1, 2, 3, 128)).save(webp, format="WEBP")
    response = await upload(api, ada, webp.getvalue(), "x.webp", "image/webp")
    assert response.status_code == 201, response.text
    assert response.json()["url"].endswith(".webp")


async def test_the_format_is_detected_not_taken_from_the_name_or_the_content_type(api: Api) -> None:
    ada = await api.user()
    response = await upload(api, ada, png_bytes(), "holiday.jpg", "image/jpeg")
    assert response.status_code == 201
    assert response.json()["url"].endswith(".png")
    response = await upload(api, ada, png_bytes(), "no-extension", "application/octet-stream")
    assert response.status_code == 201


async def test_a_text_file_named_png_is_refused_with_415(api: Api, container: App) -> None:
    ada = await api.user()
    body = assert_problem(await upload(api, ada, b"just some text, honestly\n" * 20, "cat.png", "image/png"), 415)
    assert "PNG, JPEG or WebP" in body["detail"]
    assert stored_files(container) == []


async def test_other_images_and_broken_images_are_refused(api: Api, container: App) -> None:
    ada = await api.user()
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    assert_problem(await upload(api, ada, gif.getvalue(), "a.png"), 415)
    truncated = png_bytes(200, 200, color=(1, 2, 3))
    assert_problem(await upload(api, ada, truncated[: len(truncated) // 2]), 415)
    assert_problem(await upload(api, ada, b""), 415)
    html = b"<html><script>alert(1)</script></html>"
    assert_problem(await upload(api, ada, html, "page.html", "text/html"), 415)
    assert stored_files(container) == []


async def test_a_decompression_bomb_is_refused_before_it_is_decoded(api: Api, container: App) -> None:
    ada = await api.user()
    bomb = png_bomb()
    assert len(bomb) < 100_000, "a small file..."
    body = assert_problem(await upload(api, ada, bomb), 422, field="file")
    assert "pixels" in body["detail"]
    assert_problem(await upload(api, ada, png_bomb(7000, 7000)), 422, field="file")  # just above 40 MP
    assert stored_files(container) == []


async def test_six_megabytes_are_refused_with_413(api: Api, container: App) -> None:
    ada = await api.user()
    assert_problem(await upload(api, ada, os.urandom(6 * MB)), 413)
    # Just over 5 MB fits the multipart allowance: the file part itself is measured.
    assert_problem(await upload(api, ada, png_bytes() + b"\0" * (5 * MB)), 413)
    assert_problem(await api.client.post(
        "/api/users/me/avatar", files={"file": ("a.png", os.urandom(6 * MB), "image/png")}, headers=ada.headers
    ), 413)  # fmt: skip
    assert stored_files(container) == []


async def test_the_client_file_name_never_reaches_the_file_system(api: Api, container: App, tmp_path: Path) -> None:
    ada = await api.user()
    for name in ("../../etc/passwd", "..\\..\\evil.png", "/etc/passwd", "a/../../../x.png", ".htaccess", "\x00.png"):
        response = await upload(api, ada, png_bytes(), name)
        assert response.status_code == 201, (name, response.text)
        assert STORED_NAME.match(response.json()["url"])
    media, outside = _inside_and_outside(Path(container.settings().media_dir), tmp_path)
    assert len(media) == 6
    assert all(re.fullmatch(r"[0-9a-f]{32}\.png", path.name) for path in media), media
    assert all("passwd" not in p.name and "evil" not in p.name for p in outside), outside


def _inside_and_outside(media_dir: Path, root: Path) -> tuple[list[Path], list[Path]]:
    """Files under MEDIA_DIR, and every other file under ``root`` (the test's temporary folder)."""
    media_root = media_dir.resolve()
    files = [path.resolve() for path in root.rglob("*") if path.is_file()]
    return [p for p in files if p.is_relative_to(media_root)], [p for p in files if not p.is_relative_to(media_root)]


async def test_media_serves_nothing_outside_its_folder(api: Api, container: App, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("top secret")
    for path in (
        "/media/../secret.txt",
        "/media/%2e%2e/secret.txt",
        "/media/..%2fsecret.txt",
        "/media/uploads/none.png",
    ):
        response = await api.client.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert "top secret" not in response.text


async def test_uploads_need_a_signed_in_user_and_a_file_part(api: Api) -> None:
    assert_problem(await api.client.post("/api/uploads", files={"file": ("a.png", png_bytes(), "image/png")}), 401)
    ada = await api.user()
    assert_problem(
        await api.client.post(
            "/api/uploads", files={"other": ("a.png", png_bytes(), "image/png")}, headers=ada.headers
        ),
        400,
    )


async def test_the_avatar_changes_and_the_old_file_goes(api: Api, container: App) -> None:
    ada = await api.user()
    first = await api.client.post(
        "/api/users/me/avatar", files={"file": ("me.png", png_bytes(16, 16), "image/png")}, headers=ada.headers
    )
    assert first.status_code == 200, first.text
    profile = first.json()
    assert profile["username"] == ada.username
    assert "session_stats" in profile
    old_url = profile["avatar_url"]
    assert old_url.startswith("/media/avatars/")
    assert (await api.client.get("/api/users/me", headers=ada.headers)).json()["avatar_url"] == old_url
    assert (await api.client.get(old_url)).status_code == 200

    second = await api.client.post(
        "/api/users/me/avatar", files={"file": ("me.jpg", jpeg_with_exif(), "image/jpeg")}, headers=ada.headers
    )
    new_url = second.json()["avatar_url"]
    assert new_url.endswith(".jpg")
    assert new_url != old_url
    assert (await api.client.get(old_url)).status_code == 404
    assert (await api.client.get(new_url)).status_code == 200
    public = (await api.client.get("/api/users", params={"search": ada.username})).json()["items"][0]
    assert public["avatar_url"] == new_url

    assert_problem(
        await api.client.post(
            "/api/users/me/avatar", files={"file": ("me.png", b"nope", "image/png")}, headers=ada.headers
        ),
        415,
    )
    assert (await api.client.get("/api/users/me", headers=ada.headers)).json()["avatar_url"] == new_url
    assert len(stored_files(container)) == 1
