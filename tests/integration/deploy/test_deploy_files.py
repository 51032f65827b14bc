"""The deployment files say what docs/deploy.md promises. There is no Docker engine on CI, so
compose.yaml is checked as data (and with ``docker compose config`` where the plugin exists)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_has_the_whole_cluster(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"postgres", "redis", "migrate", "api", "scheduler", "proxy"}


def test_migrations_run_once_before_the_api_and_the_scheduler(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["command"] == ["athenaeum", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("api", "scheduler"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_api_replicas_leave_the_jobs_to_one_scheduler(compose: dict[str, Any]) -> None:
    api, scheduler = compose["services"]["api"], compose["services"]["scheduler"]
    assert api["command"] == ["athenaeum", "serve"]
    assert api["deploy"]["replicas"] >= 2
    assert api["environment"]["ATHENAEUM_SCHEDULER"] == "off"
    assert scheduler["command"] == ["athenaeum", "scheduler"]
    assert scheduler.get("deploy", {}).get("replicas", 1) == 1


def test_every_app_service_gets_the_production_settings(compose: dict[str, Any]) -> None:
    for name in ("migrate", "api", "scheduler"):
        env = compose["services"][name]["environment"]
        assert env["ATHENAEUM_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["ATHENAEUM_REDIS_URL"].startswith("redis://")
        assert env["ATHENAEUM_SECRET_KEY"].startswith("${ATHENAEUM_SECRET_KEY:?")  # refuses to start without
        assert "*" not in env["ATHENAEUM_CORS_ORIGINS"].replace("${ATHENAEUM_CORS_ORIGINS:-}", "")
    assert compose["services"]["api"]["stop_grace_period"] == "30s"  # > the 20 s uvicorn lets requests finish


def test_the_proxy_keeps_socketio_clients_on_one_replica_and_upgrades_websockets(compose: dict[str, Any]) -> None:
    proxy = compose["services"]["proxy"]
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    upstream = re.search(r"upstream athenaeum \{(.*?)\}", conf, re.DOTALL)
    assert upstream
    assert "ip_hash;" in upstream.group(1)
    assert "server api:8000" in upstream.group(1)
    socketio = re.search(r"location /socket\.io/ \{(.*?)\}", conf, re.DOTALL)
    assert socketio
    assert "proxy_set_header Upgrade $http_upgrade;" in socketio.group(1)


def test_the_image_is_multi_stage_slim_non_root_locked_and_health_checked() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert len(stages) >= 2
    assert all(image.endswith("-slim") for image in stages if "python" in image)
    assert "uv sync --frozen --no-dev" in dockerfile
    user = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert user
    assert user[-1] not in {"root", "0"}
    assert re.search(r"^HEALTHCHECK .*\n?.*/ready", dockerfile, re.MULTILINE)


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker client")
def test_docker_compose_config_accepts_the_file() -> None:
    version = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)  # noqa: S607
    if version.returncode != 0:
        pytest.skip("the docker client has no compose plugin")
    checked = subprocess.run(  # noqa: S603
        ["docker", "compose", "-f", str(ROOT / "compose.yaml"), "config", "--quiet"],  # noqa: S607
        capture_output=True,
        check=False,
        env={"ATHENAEUM_SECRET_KEY": "x" * 48, "PATH": "/usr/bin:/usr/local/bin:/bin"},
    )
    assert checked.returncode == 0, checked.stderr.decode()
