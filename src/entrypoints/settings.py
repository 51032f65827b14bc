"""Settings from the environment (prefix ``ATHENAEUM_``) and a ``.env`` file.

Validated once at start; a bad value stops the process with a message that names the
variable. The environment wins over ``.env``.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import msgspec
from dotenv import dotenv_values

from entrypoints.gc_tuning import DEFAULT_YOUNG_THRESHOLD

PREFIX = "ATHENAEUM_"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/athenaeum.db"
MAX_CHARGE_CENTS = 99_999_999  # the most one checkout may charge


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names it."""


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    forwarded_allow_ips: str = "127.0.0.1"
    secret_key: str | None = None
    access_token_minutes: int = 15
    refresh_token_days: int = 7
    auth_header: str = "Authorization"
    media_dir: str = "./var/media"
    var_dir: str = "./var"
    event_publish_delay_seconds: int = 60
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    public_base_url: str | None = None
    telegram_bot_token: str | None = None
    telegram_chat_id: str | None = None
    telegram_api_base: str = "https://api.telegram.org"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    mail_from: str = "Athenaeum <noreply@athenaeum.local>"
    email_retry_attempts: int = 3
    email_retry_delay_seconds: int = 300
    fine_multiplier: int = 2
    unpaid_blocks_borrowing: bool = True
    premium_price_cents: int = 999
    login_max_failures: int = 5
    auth_rate_limit_per_minute: int = 30
    redis_url: str | None = None
    socketio_channel: str = "athenaeum-socketio"
    redis_key_prefix: str = "athenaeum:"
    socketio_events_per_second: int = 20
    scheduler: Literal["on", "off"] = "on"
    reading_stats_interval_seconds: int = 300
    overdue_digest_hour: int = 8
    cors_origins: list[str] = msgspec.field(default_factory=list)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"
    db_pool_size: int = 20
    db_max_overflow: int = 0
    db_pool_timeout_seconds: int = 30
    max_body_bytes: int = 1_048_576
    password_memory_kib: int = 19_456
    password_time_cost: int = 2
    password_parallelism: int = 1
    gc_threshold: int = DEFAULT_YOUNG_THRESHOLD

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def production(self) -> bool:
        """A Postgres database means production: secrets must be given, not generated."""
        return not self.is_sqlite

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def jwt_key(self) -> str:
        if self.secret_key is None:
            msg = "the secret key was not resolved (use load_settings)"
            raise SettingsError(msg)
        return self.secret_key


_POSITIVE = (
    "port",
    "workers",
    "access_token_minutes",
    "refresh_token_days",
    "login_max_failures",
    "auth_rate_limit_per_minute",
    "reading_stats_interval_seconds",
    "db_pool_size",
    "db_pool_timeout_seconds",
    "max_body_bytes",
    "password_memory_kib",
    "password_time_cost",
    "password_parallelism",
    "fine_multiplier",
    "socketio_events_per_second",
)
_NOT_NEGATIVE = (
    "event_publish_delay_seconds",
    "email_retry_attempts",
    "email_retry_delay_seconds",
    "db_max_overflow",
    "premium_price_cents",
    "gc_threshold",
)


def _raw_values(environ: Mapping[str, str], env_file: str | os.PathLike[str] | None) -> dict[str, str]:
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(environ)
    raw: dict[str, str] = {}
    for key, value in values.items():
        if key.startswith(PREFIX):
            raw[key.removeprefix(PREFIX).lower()] = value
    return raw


def _typed(raw: dict[str, str]) -> dict[str, object]:
    fields = {f.name: f for f in msgspec.structs.fields(Settings)}
    out: dict[str, object] = {}
    for name, value in raw.items():
        if name not in fields:
            continue  # unknown ATHENAEUM_* variables are ignored (e.g. test-only ones)
        if name == "cors_origins":
            out[name] = [origin.strip() for origin in value.split(",") if origin.strip()]
        elif value == "" and fields[name].default is None:
            out[name] = None
        else:
            out[name] = value
    return out


def _secret_key(settings: Settings) -> str:
    if settings.secret_key:
        if len(settings.secret_key.encode()) < 32:  # noqa: PLR2004
            msg = (
                "ATHENAEUM_SECRET_KEY must be at least 32 bytes "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
            raise SettingsError(msg)
        return settings.secret_key
    if settings.production:
        msg = "ATHENAEUM_SECRET_KEY is required with a Postgres database (production mode)"
        raise SettingsError(msg)
    path = Path(settings.var_dir) / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _check_circulation(settings: Settings) -> None:
    if settings.premium_price_cents > MAX_CHARGE_CENTS:
        raise SettingsError(f"{PREFIX}PREMIUM_PRICE_CENTS must be at most {MAX_CHARGE_CENTS}")
    if settings.telegram_bot_token and not settings.telegram_chat_id:
        raise SettingsError(f"{PREFIX}TELEGRAM_CHAT_ID is required when {PREFIX}TELEGRAM_BOT_TOKEN is set")


def load_settings(
    environ: Mapping[str, str] | None = None,
    env_file: str | os.PathLike[str] | None = ".env",
    **overrides: object,
) -> Settings:
    """Read, convert and check every setting; raise ``SettingsError`` naming the culprit."""
    raw = _typed(_raw_values(os.environ if environ is None else environ, env_file))
    raw.update(overrides)
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        message = str(exc)
        match = re.search(r"at `\$\.(\w+)`", message)
        name = f"{PREFIX}{match.group(1).upper()}" if match else "a setting"
        detail = message.split(" - at ", maxsplit=1)[0]
        raise SettingsError(f"{name}: {detail}") from exc
    for name in _POSITIVE:
        if getattr(settings, name) <= 0:
            raise SettingsError(f"{PREFIX}{name.upper()} must be greater than 0")
    for name in _NOT_NEGATIVE:
        if getattr(settings, name) < 0:
            raise SettingsError(f"{PREFIX}{name.upper()} cannot be negative")
    if not 0 <= settings.overdue_digest_hour <= 23:  # noqa: PLR2004
        raise SettingsError(f"{PREFIX}OVERDUE_DIGEST_HOUR must be between 0 and 23")
    _check_circulation(settings)
    if not (settings.database_url.startswith(("sqlite+aiosqlite://", "postgresql+psycopg://"))):
        msg = f"{PREFIX}DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+psycopg://"
        raise SettingsError(msg)
    if settings.production and "*" in settings.cors_origins:
        raise SettingsError(f"{PREFIX}CORS_ORIGINS cannot be '*' in production mode; list the origins")
    return msgspec.structs.replace(settings, secret_key=_secret_key(settings))
