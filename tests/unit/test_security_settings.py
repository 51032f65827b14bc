"""Settings that would open the service to any web page are refused at start in production
mode (a Postgres database), with a message that names the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.settings import SettingsError, load_settings
from entrypoints.socketio.server import allowed_origins

POSTGRES = "postgresql+psycopg://athenaeum@db/athenaeum"
SECRET = "a-production-secret-key-of-at-least-32-bytes"


@pytest.mark.parametrize("origins", ["*", "https://app.example.org,*", " * "])
def test_a_wildcard_origin_is_refused_in_production(origins: str, tmp_path: Path) -> None:
    environ = {
        "ATHENAEUM_DATABASE_URL": POSTGRES,
        "ATHENAEUM_SECRET_KEY": SECRET,
        "ATHENAEUM_CORS_ORIGINS": origins,
        "ATHENAEUM_VAR_DIR": str(tmp_path),
    }
    with pytest.raises(SettingsError, match="ATHENAEUM_CORS_ORIGINS"):
        load_settings(environ, env_file=None)


def test_listed_origins_are_accepted_in_production_and_used_by_socketio(tmp_path: Path) -> None:
    environ = {
        "ATHENAEUM_DATABASE_URL": POSTGRES,
        "ATHENAEUM_SECRET_KEY": SECRET,
        "ATHENAEUM_CORS_ORIGINS": "https://app.example.org, https://admin.example.org",
        "ATHENAEUM_VAR_DIR": str(tmp_path),
    }
    settings = load_settings(environ, env_file=None)
    assert settings.cors_origins == ["https://app.example.org", "https://admin.example.org"]
    check = allowed_origins(settings)
    assert callable(check)
    same_host = {"HTTP_HOST": "api.example.org", "wsgi.url_scheme": "https"}
    assert check("https://app.example.org", same_host)
    assert check("https://api.example.org", same_host), "the socket's own origin"
    assert not check("https://evil.example", same_host)
    assert not check("null", same_host)


def test_without_origins_socketio_checks_the_same_origin_rather_than_none(tmp_path: Path) -> None:
    settings = load_settings({}, env_file=None, var_dir=str(tmp_path))
    # None is python-socketio's same-origin check; [] would switch the check off.
    assert allowed_origins(settings) is None


def test_a_wildcard_is_allowed_for_local_development_only(tmp_path: Path) -> None:
    settings = load_settings({"ATHENAEUM_CORS_ORIGINS": "*"}, env_file=None, var_dir=str(tmp_path))
    assert settings.is_sqlite
    assert settings.cors_origins == ["*"]
