"""``athenaeum``: serve, migrate, administer."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import click

from entrypoints.settings import Settings, SettingsError, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(f"configuration: {exc}") from exc


@click.group(help="Athenaeum: a library and its reading community, one service.")
def main() -> None:
    pass


@main.command(help="Serve HTTP (and Socket.IO and the jobs). Migrates an embedded SQLite database first.")
@click.option("--host", default=None, help="Default: ATHENAEUM_HOST (127.0.0.1).")
@click.option("--port", type=int, default=None, help="Default: ATHENAEUM_PORT (8000).")
@click.option("--workers", type=int, default=None, help="Worker processes. Default: ATHENAEUM_WORKERS (1).")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    import uvicorn  # noqa: PLC0415 - keep CLI start-up light

    from entrypoints import migrate  # noqa: PLC0415
    from entrypoints.logging import configure_logging  # noqa: PLC0415
    from entrypoints.metrics import reset_multiprocess_dir  # noqa: PLC0415

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    if settings.is_sqlite:
        migrate.upgrade(settings.database_url)
    reset_multiprocess_dir()  # PROMETHEUS_MULTIPROC_DIR, when set: the workers' metrics start afresh
    config: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "workers": workers or settings.workers,
        "factory": True,
        "lifespan": "on",
        "access_log": False,
        "log_config": None,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "server_header": False,
        "timeout_graceful_shutdown": 20,
        "ws_max_size": settings.max_body_bytes,  # Socket.IO refuses packets over 64 KiB anyway
    }
    click.echo(f"Athenaeum on http://{config['host']}:{config['port']} (docs: /schema/swagger)", err=True)
    uvicorn.run("entrypoints.asgi:create_asgi_app", **config)


@main.group(help="Database schema.")
def db() -> None:
    pass


@db.command("upgrade", help="Apply migrations up to REVISION (default: head).")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    from entrypoints import migrate  # noqa: PLC0415

    migrate.upgrade(_settings().database_url, revision)
    click.echo(f"database at {revision}")


@db.command("downgrade", help="Revert migrations down to REVISION (e.g. -1, base).")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    from entrypoints import migrate  # noqa: PLC0415

    migrate.downgrade(_settings().database_url, revision)


@db.command("current", help="Show the database's revision.")
def db_current() -> None:
    from entrypoints import migrate  # noqa: PLC0415

    migrate.current(_settings().database_url)


@main.group(help="User accounts.")
def users() -> None:
    pass


@users.command("create-admin", help="Create an admin account.")
@click.option("--email", required=True)
@click.option("--username", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_admin(email: str, username: str, password: str) -> None:
    from domain.errors import DomainError  # noqa: PLC0415
    from entrypoints.container import build_container, close_gateways  # noqa: PLC0415
    from entrypoints.http.errors import problem_body  # noqa: PLC0415

    async def run() -> int:
        container = build_container(_settings())
        try:
            user = await container.identity.register_user()(
                username=username, email=email, password=password, is_admin=True
            )
        except DomainError as exc:
            _, body = problem_body(exc)
            click.echo(f"error: {body['detail']}", err=True)
            return 1
        finally:
            await close_gateways(container)
        click.echo(f"admin {user.username} <{user.email}> created with id {user.id}")
        return 0

    sys.exit(asyncio.run(run()))


@main.command("demo-data", help="Load sample books, users and reading sessions (idempotent).")
def demo_data() -> None:
    from entrypoints import migrate  # noqa: PLC0415
    from entrypoints.container import build_container, close_gateways  # noqa: PLC0415
    from entrypoints.demo import load_demo_data  # noqa: PLC0415

    settings = _settings()
    if settings.is_sqlite:
        migrate.upgrade(settings.database_url)

    async def run() -> None:
        container = build_container(settings)
        try:
            await load_demo_data(container, click.echo)
        finally:
            await close_gateways(container)

    asyncio.run(run())


@main.command(help="Run the periodic jobs only (no HTTP). Safe to run beside API processes: one leader runs jobs.")
def scheduler() -> None:
    import signal  # noqa: PLC0415

    from entrypoints.container import build_container, close_gateways  # noqa: PLC0415
    from entrypoints.logging import configure_logging  # noqa: PLC0415
    from entrypoints.scheduler.service import SchedulerService  # noqa: PLC0415

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)

    async def run() -> None:
        container = build_container(settings)
        service = SchedulerService(container)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await service.start()
        try:
            await stop.wait()
        finally:
            await service.stop()
            await close_gateways(container)

    asyncio.run(run())


@main.group(help="Periodic jobs.")
def jobs() -> None:
    pass


@jobs.command("list", help="List the jobs and their schedules.")
def jobs_list() -> None:
    from entrypoints.scheduler.jobs import JOBS  # noqa: PLC0415

    settings = _settings()
    for spec in JOBS:
        click.echo(f"{spec.name:<20} {spec.trigger(settings)!s:<40} {spec.description}")


@jobs.command("run", help="Run one job once, now, with the current configuration.")
@click.argument("name")
def jobs_run(name: str) -> None:
    from entrypoints.container import build_container, close_gateways  # noqa: PLC0415
    from entrypoints.logging import configure_logging  # noqa: PLC0415
    from entrypoints.scheduler.jobs import job_named  # noqa: PLC0415
    from entrypoints.scheduler.runner import JobRunner  # noqa: PLC0415

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        spec = job_named(name)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from exc

    async def run() -> bool:
        container = build_container(settings)
        try:
            ok, detail = await JobRunner(container).run(spec)
        finally:
            await close_gateways(container)
        click.echo(f"{name}: {'ok' if ok else 'FAILED'}{': ' + detail if detail else ''}")
        return ok

    sys.exit(0 if asyncio.run(run()) else 1)


if __name__ == "__main__":
    main()
