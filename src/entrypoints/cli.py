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

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    if settings.is_sqlite:
        migrate.upgrade(settings.database_url)
    config: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "workers": workers or settings.workers,
        "factory": True,
        "lifespan": "on",
        "access_log": False,
        "log_config": None,
        "proxy_headers": True,
        "server_header": False,
        "timeout_graceful_shutdown": 20,
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


if __name__ == "__main__":
    main()
