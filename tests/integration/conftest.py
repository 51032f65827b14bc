"""Integration fixtures: real databases (SQLite and Postgres), the real app over HTTP."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import create_engine
from entrypoints import migrate
from entrypoints.container import App, build_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings, load_settings
from tests.integration.support import Api, empty_all_tables

BACKENDS = ("sqlite", "postgres")
TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.postgres`` tests run on the Postgres backend only (deselected, not skipped, on SQLite)."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("backend") == "sqlite"
        (drop if on_sqlite and item.get_closest_marker("postgres") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _worker() -> str:
    """Unique per checkout and xdist worker, so parallel runs never share a database."""
    checkout = hashlib.sha1(str(Path(__file__).resolve()).encode()).hexdigest()[:8]  # noqa: S324 - a name, not a secret
    return f"{checkout}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@pytest.fixture(scope="session")
def postgres_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Postgres *server* URL (maintenance database); CI gives one, else pgserver starts one."""
    given = os.environ.get("ATHENAEUM_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    import pgserver

    data_dir = Path(tempfile.gettempdir()) / "athenaeum-pgserver"
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    uri = make_url(server.get_uri("postgres")).set(drivername="postgresql+psycopg")
    yield uri.render_as_string(hide_password=False)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_urls(postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated database per backend for this test session (and xdist worker)."""
    name = f"athenaeum_test_{_worker()}"
    server = make_url(postgres_server_url)
    with psycopg.connect(_libpq(postgres_server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    sqlite_dir = tmp_path_factory.mktemp("sqlite")
    urls = {
        "sqlite": f"sqlite+aiosqlite:///{sqlite_dir / 'test.db'}",
        "postgres": server.set(database=name).render_as_string(hide_password=False),
    }
    for url in urls.values():
        migrate.upgrade(url)
    yield urls
    with psycopg.connect(_libpq(postgres_server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
async def engines(database_urls: dict[str, str]) -> AsyncIterator[dict[str, AsyncEngine]]:
    created = {name: create_engine(url, pool_size=20, max_overflow=40) for name, url in database_urls.items()}
    yield created
    for engine in created.values():
        await engine.dispose()


@pytest.fixture
async def engine(engines: dict[str, AsyncEngine], backend: str) -> AsyncEngine:
    """The backend's engine, with every table emptied before the test."""
    eng = engines[backend]
    await empty_all_tables(eng)
    return eng


@pytest.fixture
def settings(backend: str, database_urls: dict[str, str], tmp_path: Path) -> Settings:
    return make_settings(database_urls[backend], tmp_path)


def make_settings(url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "secret_key": TEST_SECRET,
        "var_dir": str(tmp_path / "var"),
        "media_dir": str(tmp_path / "media"),
        "log_level": "warning",
        # Cheap hashing keeps the suite fast; the production parameters have their own test.
        "password_memory_kib": 1024,
        "password_time_cost": 1,
        "auth_rate_limit_per_minute": 10_000,
        "public_base_url": "http://testserver.local",
    }
    values.update(overrides)
    return load_settings({}, env_file=None, **values)


@pytest.fixture
def container(settings: Settings, engine: AsyncEngine) -> App:
    c = build_container(settings)
    c.gateways.engine.override(providers.Object(engine))
    return c


@pytest.fixture
async def client(container: App) -> AsyncIterator[AsyncTestClient[Any]]:
    app = create_app(container)
    async with AsyncTestClient(app, base_url="http://testserver.local") as test_client:
        yield test_client


@pytest.fixture
def api(client: AsyncTestClient[Any], container: App) -> Api:
    return Api(client, container)


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("ATHENAEUM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {url} is required on CI: {exc}")
        pytest.skip(f"no Redis at {url} ({exc}); set ATHENAEUM_TEST_REDIS_URL")
    return url


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(Path(tempfile.gettempdir()) / f"athenaeum-test-{_worker()}", ignore_errors=True)
