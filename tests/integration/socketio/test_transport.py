"""How the Socket.IO server sits in the app: its path, and who may open a socket from a browser."""

from __future__ import annotations

from pathlib import Path

from entrypoints.settings import load_settings
from entrypoints.socketio.server import allowed_origins
from tests.integration.socketio.conftest import LiveServer

ENVIRON = {"HTTP_HOST": "library.example.org", "wsgi.url_scheme": "https"}


async def test_socketio_answers_at_its_path_and_the_api_beside_it(live: LiveServer) -> None:
    handshake = await live.http.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
    assert handshake.status_code == 200
    assert handshake.text.startswith('0{"sid":')
    assert (await live.http.get("/health")).status_code == 200


def test_without_cors_origins_only_the_same_origin_may_connect(tmp_path: Path) -> None:
    settings = load_settings({}, env_file=None, var_dir=str(tmp_path))
    assert allowed_origins(settings) is None  # python-socketio's same-origin check (never [] = no check)


def test_listed_origins_and_the_same_origin_may_connect(tmp_path: Path) -> None:
    settings = load_settings({}, env_file=None, var_dir=str(tmp_path), cors_origins=["https://app.example.org"])
    check = allowed_origins(settings)
    assert callable(check)
    assert check("https://app.example.org", ENVIRON)
    assert check("https://library.example.org", ENVIRON)
    assert not check("https://evil.example", ENVIRON)
    assert not check("http://library.example.org", ENVIRON)
