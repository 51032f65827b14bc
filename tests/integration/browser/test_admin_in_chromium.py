"""A real browser against the real server: Debian's Chromium, headless, driven by Playwright.

The app runs in its own process (uvicorn on a free local port) on the test database. The
test signs in to /admin as an admin, opens the events list and sees the image preview
(loaded from /media/), then checks that a plain user is refused.

Needs /usr/bin/chromium (`apt-get install chromium`); without it the test is skipped with
that reason, except on CI (CI=true), where it fails. Playwright's own browser downloads are
never used.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from entrypoints.settings import Settings
from tests.integration.community_support import png_bytes
from tests.integration.conftest import TEST_SECRET
from tests.integration.support import PASSWORD, Api

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SRC = Path(__file__).resolve().parents[3] / "src"


def _require_chromium() -> None:
    problem = None
    if not Path(CHROMIUM).exists():
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    else:
        try:
            import playwright.async_api  # noqa: F401
        except ImportError as exc:
            problem = f"the playwright package is missing ({exc})"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser test must run on CI: {problem}")
        pytest.skip(problem)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def server(settings: Settings, tmp_path: Path, engine: Any) -> AsyncIterator[str]:
    """The real app in its own process, on the test's (emptied) database."""
    _require_chromium()
    port = _free_port()
    env = {
        **os.environ,
        "ATHENAEUM_DATABASE_URL": settings.database_url,
        "ATHENAEUM_SECRET_KEY": TEST_SECRET,
        "ATHENAEUM_MEDIA_DIR": settings.media_dir,
        "ATHENAEUM_VAR_DIR": str(tmp_path / "server-var"),
        "ATHENAEUM_SCHEDULER": "off",
        "ATHENAEUM_LOG_LEVEL": "warning",
        "ATHENAEUM_PASSWORD_MEMORY_KIB": "1024",
        "ATHENAEUM_PASSWORD_TIME_COST": "1",
        "ATHENAEUM_AUTH_RATE_LIMIT_PER_MINUTE": "10000",
    }
    log = (tmp_path / "server.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "uvicorn", "--factory", "entrypoints.asgi:create_asgi_app", "--app-dir", str(SRC),
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
        env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(150):
                if process.returncode is not None:
                    break
                try:
                    if (await client.get(f"{base}/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                pytest.fail("the server did not start in 15 s")
        if process.returncode is not None:
            pytest.fail(f"the server exited: {(tmp_path / 'server.log').read_text()}")
        yield base
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()


async def test_an_admin_sees_event_images_in_the_admin_ui_and_a_plain_user_is_refused(
    api: Api, server: str, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    boss = await api.user("boss", admin=True)
    await api.user("plain")
    async with httpx.AsyncClient(base_url=server) as client:
        created = await client.post(
            "/api/events",
            data={"title": "Poster evening", "date": "2026-05-01"},
            files={"image": ("poster.png", png_bytes(32, 20), "image/png")},
            headers=boss.headers,
        )
        assert created.status_code == 202, created.text

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            admin_page = await (await browser.new_context()).new_page()
            await admin_page.goto(f"{server}/admin/")
            assert admin_page.url == f"{server}/admin/login"
            await admin_page.fill('input[name="username"]', "boss")
            await admin_page.fill('input[name="password"]', PASSWORD)
            await admin_page.click('button[type="submit"]')
            await admin_page.wait_for_url(f"{server}/admin/")

            await admin_page.goto(f"{server}/admin/events/list")
            preview = admin_page.locator("img.athenaeum-image-preview")
            await preview.first.wait_for(state="visible")
            assert await preview.count() == 1
            src = await preview.first.get_attribute("src")
            assert src is not None
            assert src.startswith("/media/events/")
            await admin_page.wait_for_function("img => img.complete", arg=await preview.first.element_handle())
            assert await preview.first.evaluate("img => img.naturalWidth") == 32, "the image loaded from /media/"
            assert "Poster evening" in await admin_page.content()
            await admin_page.screenshot(path=str(tmp_path / "admin-events.png"), full_page=True)

            plain_page = await (await browser.new_context()).new_page()
            await plain_page.goto(f"{server}/admin/login")
            await plain_page.fill('input[name="username"]', "plain")
            await plain_page.fill('input[name="password"]', PASSWORD)
            await plain_page.click('button[type="submit"]')
            await plain_page.wait_for_load_state()
            assert "Invalid credentials" in await plain_page.content()
            await plain_page.goto(f"{server}/admin/events/list")
            assert plain_page.url == f"{server}/admin/login"
            assert await plain_page.locator("img.athenaeum-image-preview").count() == 0
        finally:
            await browser.close()
