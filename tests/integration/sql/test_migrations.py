"""The migrations build exactly the schema the code declares, and go down and up again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from adapters.sql.tables import metadata
from entrypoints import migrate


def _sync(url: str) -> str:
    parsed = make_url(url)
    driver = "sqlite" if parsed.get_backend_name() == "sqlite" else "postgresql+psycopg"
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def _differences(url: str) -> list[Any]:
    engine = create_engine(_sync(url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return [d for d in compare_metadata(context, metadata) if not _ignorable(d)]
    finally:
        engine.dispose()


def _ignorable(diff: Any) -> bool:
    # alembic_version is Alembic's own table, not part of the model.
    return isinstance(diff, tuple) and diff[0] == "remove_table" and diff[1].name == "alembic_version"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_migrated_schema_matches_the_tables_in_code(database_urls: dict[str, str], backend: str) -> None:
    assert _differences(database_urls[backend]) == []


def test_every_migration_goes_down_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'roundtrip.db'}"
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    migrate.upgrade(url)
    assert _differences(url) == []
