"""Shared test configuration.

Unit tests need nothing. Integration tests run on SQLite *and* Postgres (the ``backend``
fixture is parametrized), against:

* ``ATHENAEUM_TEST_POSTGRES_URL`` (a server URL such as
  ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``; CI sets it), or
* a throwaway Postgres started from the ``pgserver`` wheel when none is given.

Postgres tests never skip: if neither works, they fail. Redis tests use
``ATHENAEUM_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``) and skip with a
reason when Redis is absent, except on CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.figures import ENV as FIGURES_ENV
from tests.figures import collect

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=100
)
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "default")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: runs only on the Postgres backend (row locks, races)")
    config.addinivalue_line("markers", "redis: needs a Redis server")
    config.addinivalue_line("markers", "slow: takes seconds; still part of `just test`")
    config.addinivalue_line("markers", "fault: injects a fault into a private server (e.g. restarts Postgres)")
    if not hasattr(config, "workerinput"):  # the controller: workers inherit the folder
        os.environ[FIGURES_ENV] = tempfile.mkdtemp(prefix="athenaeum-figures-")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Print what the suite measured (see tests/figures.py)."""
    folder = os.environ.get(FIGURES_ENV)
    if hasattr(config, "workerinput") or not folder:
        return
    totals = collect(Path(folder))
    if not totals:
        return
    terminalreporter.section("figures")
    for name, count in sorted(totals.items()):
        terminalreporter.line(f"{count:>8}  {name}")
