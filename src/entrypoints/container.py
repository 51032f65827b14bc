"""The composition root: the only module that picks concrete adapters.

``Gateways`` builds the adapters from settings; one container per area builds its use
cases on top of them. Tests override providers here (clock, payment gateway, …).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from dependency_injector import containers, providers
from redis.asyncio import Redis

from adapters.clock import SystemClock
from adapters.files.images import PillowImageCleaner
from adapters.files.local_storage import LocalMediaStorage
from adapters.logs.notifications import LoggingEventPublisher, LoggingMailer, LoggingNotifier
from adapters.ratelimit.memory import MemoryFailureLog, MemoryRateLimiter
from adapters.ratelimit.redis import RedisFailureLog, RedisRateLimiter
from adapters.security.jwt_tokens import JwtTokenCodec
from adapters.security.passwords import Argon2PasswordHasher, common_passwords
from adapters.sql.admin import build_admin_app
from adapters.sql.engine import create_engine
from adapters.sql.health import SqlHealthCheck
from adapters.sql.jobs import SqlJobRunLog
from adapters.sql.leader import leader_lock
from adapters.sql.uow import SqlUnitOfWork
from application.messages import EMAIL, TELEGRAM, Dispatch, EmailSender, TelegramSender
from application.use_cases.backoffice import CheckAdmin, SignInToAdmin
from application.use_cases.identity import TokenLifetimes
from domain.delivery import RetryPolicy
from domain.identity import LoginThrottle, PasswordPolicy
from domain.shared import UserId
from entrypoints.containers.backoffice import BackofficeUseCases
from entrypoints.containers.community import CommunityUseCases, MediaUseCases
from entrypoints.containers.delivery import DeliveryUseCases
from entrypoints.containers.identity import IdentityUseCases
from entrypoints.metrics import Metrics
from entrypoints.settings import Settings


def _redis(url: str | None) -> Redis | None:
    return Redis.from_url(url) if url else None


def _lifetimes(settings: Settings) -> TokenLifetimes:
    return TokenLifetimes(
        access=timedelta(minutes=settings.access_token_minutes),
        refresh=timedelta(days=settings.refresh_token_days),
    )


def _email_retry(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        retries=settings.email_retry_attempts, delay=timedelta(seconds=settings.email_retry_delay_seconds)
    )


def _event_delay(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.event_publish_delay_seconds)


def _admin_sign_in(sign_in: Callable[[], SignInToAdmin]) -> Callable[[str, str], object]:
    async def run(identifier: str, password: str) -> int:
        return int((await sign_in()(identifier=identifier, password=password)).user_id)

    return run


def _admin_check(check: Callable[[], CheckAdmin]) -> Callable[[int], object]:
    async def run(user_id: int) -> bool:
        return await check()(user_id=UserId(user_id))

    return run


def _https(settings: Settings) -> bool:
    return urlsplit(settings.base_url).scheme == "https"


class Gateways(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    config = providers.Configuration()

    # Plain singletons (building them does no I/O); ``close_gateways`` releases them.
    engine = providers.Singleton(
        create_engine, url=config.database_url, pool_size=config.db_pool_size, max_overflow=config.db_max_overflow
    )
    redis = providers.Singleton(_redis, url=config.redis_url)
    uow = providers.Factory(SqlUnitOfWork, engine=engine)
    reader = providers.Factory(SqlUnitOfWork, engine=engine, read_only=True)
    health = providers.Factory(SqlHealthCheck, engine=engine)
    clock = providers.Singleton(SystemClock)

    hasher = providers.Singleton(
        Argon2PasswordHasher,
        memory_kib=config.password_memory_kib,
        time_cost=config.password_time_cost,
        parallelism=config.password_parallelism,
    )
    password_policy = providers.Singleton(PasswordPolicy, common=providers.Callable(common_passwords))
    tokens = providers.Singleton(
        JwtTokenCodec,
        secret_key=config.secret_key,
        access_lifetime=providers.Callable(lambda minutes: timedelta(minutes=minutes), config.access_token_minutes),
    )
    token_lifetimes = providers.Singleton(_lifetimes, settings)
    login_throttle = providers.Singleton(
        LoginThrottle, max_failures=config.login_max_failures, window=timedelta(minutes=15)
    )
    rate_limiter = providers.Selector(
        config.counters,
        memory=providers.Singleton(MemoryRateLimiter),
        redis=providers.Singleton(RedisRateLimiter, client=redis),
    )
    login_failures = providers.Selector(
        config.counters,
        memory=providers.Singleton(MemoryFailureLog),
        redis=providers.Singleton(RedisFailureLog, client=redis),
    )

    # -- messages leaving the system: queued in the outbox, delivered by the send_outbox job
    mailer = providers.Selector(
        config.mail_backend,
        log=providers.Singleton(LoggingMailer),
    )
    notifier = providers.Selector(
        config.telegram_backend,
        log=providers.Singleton(LoggingNotifier),
    )
    publisher = providers.Singleton(LoggingEventPublisher)
    dispatch = providers.Singleton(Dispatch, email_retry=providers.Callable(_email_retry, settings))
    senders = providers.Dict(
        {
            EMAIL: providers.Factory(EmailSender, mailer=mailer),
            TELEGRAM: providers.Factory(TelegramSender, notifier=notifier),
        }
    )

    # -- community and media
    event_publish_delay = providers.Singleton(_event_delay, settings)
    images = providers.Singleton(PillowImageCleaner)
    media = providers.Singleton(LocalMediaStorage, root=config.media_dir)

    # -- jobs and operations
    job_runs = providers.Singleton(SqlJobRunLog, engine=engine)
    leader_lock = providers.Factory(leader_lock, engine=engine, fallback_dir=config.var_dir)
    metrics = providers.Singleton(Metrics)


class App(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    config = providers.Configuration()

    gateways = providers.Container(Gateways, settings=settings, config=config)
    identity = providers.Container(IdentityUseCases, gw=gateways)
    delivery = providers.Container(DeliveryUseCases, gw=gateways)
    community = providers.Container(CommunityUseCases, gw=gateways)
    media = providers.Container(MediaUseCases, gw=gateways)
    backoffice = providers.Container(BackofficeUseCases, gw=gateways, identity=identity)
    # The admin web UI (an ASGI app mounted at /admin by the HTTP app).
    admin_ui = providers.Singleton(
        build_admin_app,
        engine=gateways.engine,
        secret_key=config.secret_key,
        sign_in=providers.Callable(_admin_sign_in, backoffice.sign_in_to_admin.provider),
        still_admin=providers.Callable(_admin_check, backoffice.check_admin.provider),
        https_only=providers.Callable(_https, settings),
    )


async def close_gateways(container: App) -> None:
    """Release the connection pools the gateways opened; safe to call twice
    (an engine reconnects by itself if used after ``dispose``)."""
    gateways = container.gateways
    await gateways.engine().dispose()
    client = gateways.redis()
    if client is not None:
        await client.aclose()
        gateways.redis.reset()  # type: ignore[attr-defined]


def build_container(settings: Settings) -> App:
    """A container for ``settings``; ``await close_gateways(container)`` when done."""
    container = App(settings=settings)
    values = {name: getattr(settings, name) for name in settings.__struct_fields__}
    container.config.from_dict(
        values
        | {
            "counters": "redis" if settings.redis_url else "memory",
            "mail_backend": "smtp" if settings.smtp_host else "log",
            "telegram_backend": "telegram" if settings.telegram_bot_token else "log",
        }
    )
    return container
