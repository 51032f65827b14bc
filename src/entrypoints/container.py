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
from adapters.realtime.socketio_publisher import Emitter, SocketIOEventPublisher, redis_emitter
from adapters.security.jwt_tokens import JwtTokenCodec
from adapters.security.passwords import Argon2PasswordHasher, common_passwords
from adapters.smtp.mailer import SmtpMailer
from adapters.sql.admin import build_admin_app
from adapters.sql.engine import create_engine, read_only_view
from adapters.sql.health import SqlHealthCheck
from adapters.sql.jobs import SqlJobRunLog
from adapters.sql.leader import leader_lock
from adapters.sql.uow import SqlUnitOfWork
from adapters.stripe.gateway import StripePaymentGateway
from adapters.stripe.sandbox import SandboxPaymentGateway
from adapters.telegram.notifier import TelegramNotifier
from application.messages import EMAIL, TELEGRAM, Dispatch, EmailSender, TelegramSender
from application.use_cases.backoffice import CheckAdmin, SignInToAdmin
from application.use_cases.identity import TokenLifetimes
from domain.circulation import LoanPolicy
from domain.delivery import RetryPolicy
from domain.identity import LoginThrottle, PasswordPolicy
from domain.shared import Money, UserId
from entrypoints.containers.backoffice import BackofficeUseCases
from entrypoints.containers.catalog import CatalogUseCases
from entrypoints.containers.chat import ChatUseCases
from entrypoints.containers.circulation import CirculationUseCases
from entrypoints.containers.community import CommunityUseCases, MediaUseCases
from entrypoints.containers.delivery import DeliveryUseCases
from entrypoints.containers.email_change import EmailChangeUseCases
from entrypoints.containers.focus import FocusUseCases
from entrypoints.containers.identity import IdentityUseCases
from entrypoints.containers.tasks import TaskUseCases
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
        create_engine,
        url=config.database_url,
        pool_size=config.db_pool_size,
        max_overflow=config.db_max_overflow,
        pool_timeout=config.db_pool_timeout_seconds,
    )
    redis = providers.Singleton(_redis, url=config.redis_url)
    uow = providers.Factory(SqlUnitOfWork, engine=engine)
    #: for use cases whose whole write is one statement (see SqlUnitOfWork): no BEGIN/COMMIT on Postgres
    one_statement_writer = providers.Factory(SqlUnitOfWork, engine=engine, one_statement=True)
    read_engine = providers.Singleton(read_only_view, engine)
    reader = providers.Factory(SqlUnitOfWork, engine=read_engine, read_only=True)
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
        redis=providers.Singleton(
            RedisRateLimiter, client=redis, prefix=providers.Callable(lambda p: f"{p}rl:", config.redis_key_prefix)
        ),
    )
    login_failures = providers.Selector(
        config.counters,
        memory=providers.Singleton(MemoryFailureLog),
        redis=providers.Singleton(
            RedisFailureLog, client=redis, prefix=providers.Callable(lambda p: f"{p}fail:", config.redis_key_prefix)
        ),
    )

    # -- messages leaving the system: queued in the outbox, delivered by the send_outbox job
    mailer = providers.Selector(
        config.mail_backend,
        log=providers.Singleton(LoggingMailer),
        smtp=providers.Singleton(
            SmtpMailer,
            host=config.smtp_host,
            port=config.smtp_port,
            sender=config.mail_from,
            username=config.smtp_username,
            password=config.smtp_password,
            starttls=config.smtp_starttls,
        ),
    )
    notifier = providers.Selector(
        config.telegram_backend,
        log=providers.Singleton(LoggingNotifier),
        telegram=providers.Singleton(
            TelegramNotifier,
            token=config.telegram_bot_token,
            chat_id=config.telegram_chat_id,
            api_base=config.telegram_api_base,
        ),
    )
    # Realtime pushes. A process that serves Socket.IO pushes through its server
    # (``serve_realtime_with``); one without (``athenaeum scheduler``) publishes on the Socket.IO
    # Redis channel when REDIS_URL is set, else only logs them.
    publisher = providers.Selector(
        config.publisher_backend,
        log=providers.Singleton(LoggingEventPublisher),
        redis=providers.Singleton(
            SocketIOEventPublisher,
            emitter=providers.Singleton(redis_emitter, url=config.redis_url, channel=config.socketio_channel),
        ),
    )
    dispatch = providers.Singleton(Dispatch, email_retry=providers.Callable(_email_retry, settings))
    senders = providers.Dict(
        {
            EMAIL: providers.Factory(EmailSender, mailer=mailer),
            TELEGRAM: providers.Factory(TelegramSender, notifier=notifier),
        }
    )

    # -- circulation and payments: Stripe Checkout, or the built-in sandbox without a key
    public_base_url = providers.Callable(lambda settings: settings.base_url, settings)
    stripe_payments = providers.Singleton(
        StripePaymentGateway,
        secret_key=config.stripe_secret_key,
        public_base_url=public_base_url,
        clock=clock,
        webhook_secret=config.stripe_webhook_secret,
        api_base=config.stripe_api_base,
    )
    sandbox_payments = providers.Singleton(
        SandboxPaymentGateway, public_base_url=public_base_url, clock=clock, webhook_secret=config.stripe_webhook_secret
    )
    payments = providers.Selector(config.payments_backend, stripe=stripe_payments, sandbox=sandbox_payments)
    checkout_simulator = providers.Selector(
        config.payments_backend, stripe=providers.Object(None), sandbox=sandbox_payments
    )
    loan_policy = providers.Singleton(
        LoanPolicy,
        fine_multiplier=config.fine_multiplier,
        unpaid_blocks_borrowing=config.unpaid_blocks_borrowing,
    )
    premium_price = providers.Singleton(Money, cents=config.premium_price_cents)
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
    tasks = providers.Container(TaskUseCases, gw=gateways)
    email_change = providers.Container(EmailChangeUseCases, gw=gateways)
    catalog = providers.Container(CatalogUseCases, gw=gateways)
    chat = providers.Container(ChatUseCases, gw=gateways)
    focus = providers.Container(FocusUseCases, gw=gateways)
    circulation = providers.Container(CirculationUseCases, gw=gateways)
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


def serve_realtime_with(container: App, server: Emitter) -> None:
    """This process runs the Socket.IO ``server``: realtime pushes go through it (and, with
    a Redis client manager, through Redis to the other processes' clients)."""
    container.gateways.publisher.override(providers.Singleton(SocketIOEventPublisher, emitter=server))


async def close_gateways(container: App) -> None:
    """Release the connection pools the gateways opened; safe to call twice
    (an engine reconnects by itself if used after ``dispose``)."""
    gateways = container.gateways
    await gateways.engine().dispose()
    payments = gateways.payments()
    if (aclose := getattr(payments, "aclose", None)) is not None:
        await aclose()
    client = gateways.redis()
    if client is not None:
        await client.aclose()
        gateways.redis.reset()  # type: ignore[attr-defined]
    closer = getattr(gateways.publisher(), "aclose", None)
    if closer is not None:
        await closer()


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
            "publisher_backend": "redis" if settings.redis_url else "log",
            "payments_backend": "stripe" if settings.stripe_secret_key else "sandbox",
        }
    )
    return container
