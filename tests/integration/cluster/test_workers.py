"""``athenaeum serve --workers 2`` with ``PROMETHEUS_MULTIPROC_DIR``: whichever worker answers
``/metrics``, it counts the requests of both."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.cluster.processes import Processes, clean_environ, processes
from tests.integration.conftest import TEST_SECRET

pytestmark = [pytest.mark.slow]

REQUESTS = 40


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Processes]:
    env = clean_environ() | {
        "ATHENAEUM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'athenaeum.db'}",
        "ATHENAEUM_SECRET_KEY": TEST_SECRET,
        "ATHENAEUM_VAR_DIR": str(tmp_path / "var"),
        "ATHENAEUM_MEDIA_DIR": str(tmp_path / "media"),
        "ATHENAEUM_SCHEDULER": "off",
        "ATHENAEUM_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_1.db").write_bytes(b"stale")  # from a previous run: cleared at start
    with processes(tmp_path, env) as group:
        yield group
        print(group.logs())  # shown with a failing test  # noqa: T201


def health_requests(body: str) -> float:
    match = re.search(
        r'^athenaeum_http_requests_total\{method="GET",route="/health",status="200"\} (\S+)$', body, re.MULTILINE
    )
    return float(match.group(1)) if match else 0.0


def test_metrics_add_up_the_requests_of_every_worker(procs: Processes, tmp_path: Path) -> None:
    server = procs.serve("serve")
    for _ in range(REQUESTS):
        with httpx.Client(base_url=server.url or "") as fresh:  # a new connection each: both workers answer
            assert fresh.get("/health").status_code == 200
    workers = {path.stem.rpartition("_")[2] for path in (tmp_path / "metrics").glob("counter_*.db")}
    assert len(workers) == 2, workers

    for _ in range(6):  # whichever worker is asked
        with httpx.Client(base_url=server.url or "") as fresh:
            assert health_requests(fresh.get("/metrics").text) == REQUESTS
