"""A private Postgres server that a test may stop and start (the shared one must never be).

Built on pgserver (a dev dependency: Postgres binaries in a wheel). It listens on a unix
socket in its own folder; as root it runs as the OS user ``pgserver``, as pgserver arranges.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pgserver
from pgserver._commands import pg_ctl  # type: ignore[attr-defined]
from sqlalchemy.engine import make_url


class ThrowawayPostgres:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="athenaeum-fault-pg-"))
        self.folder.chmod(0o755)  # the server's OS user must reach its data folder
        self.server = pgserver.get_server(self.folder / "data", cleanup_mode="delete")

    def url(self, database: str = "postgres") -> str:
        uri = make_url(self.server.get_uri(database)).set(drivername="postgresql+psycopg")
        return uri.render_as_string(hide_password=False)

    def create_database(self, name: str) -> str:
        self.server.psql(f'CREATE DATABASE "{name}";')
        return self.url(name)

    def stop(self) -> float:
        """Stop the way an operator's restart does (``fast``: sessions are ended). Seconds taken."""
        started = time.monotonic()
        pg_ctl(["-w", "stop", "-m", "fast"], pgdata=self.server.pgdata, user=self.server.system_user, timeout=30)
        return time.monotonic() - started

    def start(self) -> float:
        started = time.monotonic()
        self.server.ensure_postgres_running()
        return time.monotonic() - started

    def close(self) -> None:
        try:
            self.server.cleanup()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
