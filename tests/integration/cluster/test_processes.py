"""A cluster on this machine: real processes on the local Postgres and Redis.

Two ``athenaeum serve`` (``SCHEDULER=off``) on their own ports, two ``athenaeum scheduler``
(one leads, one stands by), a fresh database migrated by ``athenaeum db upgrade`` (the
one-shot step of compose.yaml), and a local SMTP server. The tests share the cluster and
run in file order: the last one kills a server.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest
import redis
from sqlalchemy.engine import make_url

from adapters.sql.engine import create_engine
from adapters.sql.outbox import SqlOutbox
from application.messages import Dispatch
from domain.delivery import RetryPolicy
from tests.figures import record
from tests.integration.cluster.processes import Proc, Processes, clean_environ, processes
from tests.integration.conftest import TEST_SECRET
from tests.integration.fakes.smtp_server import SmtpServer, run_smtp_server
from tests.integration.socketio.conftest import Chatter, Person
from tests.integration.support import PASSWORD

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.xdist_group("cluster")]

AUTH_BUDGET = 8  # per IP and minute, across the cluster
PUBLISH_DELAY = 4  # seconds
_addresses = (f"10.{a}.{b}.{c}" for a, b, c in itertools.product(range(64, 128), range(256), range(1, 255)))


@dataclass
class Cluster:
    a: Proc
    b: Proc
    schedulers: list[Proc]
    procs: Processes
    db: str  # libpq URL of the cluster's database
    url: str  # its SQLAlchemy URL
    smtp: SmtpServer

    def sql(self, query: str, *params: object) -> list[tuple[object, ...]]:
        with psycopg.connect(self.db, autocommit=True) as conn:
            cursor = conn.execute(query, params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.contextmanager
def _database(server_url: str) -> Iterator[str]:
    name = f"athenaeum_cluster_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def cluster(postgres_server_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("cluster")
    prefix = f"athenaeum-test-{uuid.uuid4().hex}:"
    with _database(postgres_server_url) as db_url, contextlib.contextmanager(run_smtp_server)() as smtp:
        env = clean_environ() | {
            "ATHENAEUM_DATABASE_URL": db_url,
            "ATHENAEUM_SECRET_KEY": TEST_SECRET,
            "ATHENAEUM_REDIS_URL": redis_url,
            "ATHENAEUM_REDIS_KEY_PREFIX": prefix,
            "ATHENAEUM_SOCKETIO_CHANNEL": f"{prefix}socketio",
            "ATHENAEUM_VAR_DIR": str(workdir / "var"),
            "ATHENAEUM_MEDIA_DIR": str(workdir / "media"),
            "ATHENAEUM_LOG_LEVEL": "info",
            "ATHENAEUM_LOG_FORMAT": "json",
            "ATHENAEUM_PASSWORD_MEMORY_KIB": "1024",
            "ATHENAEUM_PASSWORD_TIME_COST": "1",
            "ATHENAEUM_AUTH_RATE_LIMIT_PER_MINUTE": str(AUTH_BUDGET),
            "ATHENAEUM_EVENT_PUBLISH_DELAY_SECONDS": str(PUBLISH_DELAY),
            "ATHENAEUM_READING_STATS_INTERVAL_SECONDS": "2",
            "ATHENAEUM_SMTP_HOST": smtp.host,
            "ATHENAEUM_SMTP_PORT": str(smtp.port),
            "ATHENAEUM_SMTP_STARTTLS": "false",
            "ATHENAEUM_DB_POOL_SIZE": "3",
            "ATHENAEUM_DB_MAX_OVERFLOW": "2",
        }
        try:
            with processes(workdir, env) as procs:
                procs.run("db", "upgrade")  # migrations: their own step, once
                # All at once (start-up is mostly imports); whichever scheduler locks first leads.
                first_scheduler = procs.start("scheduler-1", "scheduler")
                second_scheduler = procs.start("scheduler-2", "scheduler")
                a = procs.serve("serve-a", wait=False, ATHENAEUM_SCHEDULER="off")
                b = procs.serve("serve-b", wait=False, ATHENAEUM_SCHEDULER="off")
                procs.wait_ready(a)
                procs.wait_ready(b)
                _wait_for_a_leader(procs, db_url)
                cluster = Cluster(a, b, [first_scheduler, second_scheduler], procs, _libpq(db_url), db_url, smtp)
                try:
                    yield cluster
                finally:
                    print(procs.logs())  # shown with a failing test  # noqa: T201
        finally:
            client = redis.Redis.from_url(redis_url)
            keys = list(client.scan_iter(match=f"{prefix}*"))
            if keys:
                client.delete(*keys)
            client.close()


def _wait_for_a_leader(procs: Processes, db_url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(_libpq(db_url), autocommit=True) as conn:
        while not conn.execute("SELECT count(*) FROM job_runs").fetchone()[0]:  # type: ignore[index]
            assert time.monotonic() < deadline, f"no scheduler runs the jobs\n{procs.logs()}"
            time.sleep(0.1)


async def person(server: Proc, name: str) -> Person:
    email = f"{name}@example.org"
    async with httpx.AsyncClient(base_url=server.url or "", headers={"X-Forwarded-For": next(_addresses)}) as http:
        created = await http.post("/api/auth/register", json={"username": name, "email": email, "password": PASSWORD})
        assert created.status_code == 201, created.text
        tokens = await http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert tokens.status_code == 200, tokens.text
    return Person(created.json()["id"], name, tokens.json()["access"])


async def test_a_chat_message_crosses_from_one_server_to_the_other(cluster: Cluster) -> None:
    ada, bob = await person(cluster.a, "ada"), await person(cluster.b, "bob")
    on_a, on_b = Chatter(ada), Chatter(bob)
    await on_a.connect(cluster.a.url or "")
    await on_b.connect(cluster.b.url or "")
    try:
        sent_at = time.perf_counter()
        ack = await on_a.call("send", {"recipient_id": bob.id, "text": "from server A"})
        got = await on_b.next("message")
        record("cluster: chat delivery A→B (ms)", round((time.perf_counter() - sent_at) * 1000))
        assert (got["id"], got["sender_id"], got["text"]) == (ack["id"], ada.id, "from server A")

        async with httpx.AsyncClient(base_url=cluster.b.url or "", headers=bob.headers) as http:
            posted = await http.post("/api/chat/messages", json={"recipient_id": ada.id, "text": "over HTTP on B"})
        assert posted.status_code == 201, posted.text
        assert (await on_a.next("message"))["text"] == "over HTTP on B"
    finally:
        await on_a.close()
        await on_b.close()


async def test_the_auth_rate_limit_is_one_budget_for_the_whole_cluster(cluster: Cluster) -> None:
    servers = itertools.cycle([cluster.a, cluster.b])
    for _ in range(2):  # the budget is per clock minute: try again if the minute turned meanwhile
        address, minute, statuses = next(_addresses), int(time.time() // 60), []
        for n in range(AUTH_BUDGET + 4):
            server = next(servers)
            async with httpx.AsyncClient(base_url=server.url or "", headers={"X-Forwarded-For": address}) as http:
                response = await http.post(
                    "/api/auth/login", json={"email": f"nobody{n}@example.org", "password": "not the password"}
                )
            statuses.append(response.status_code)
        if int(time.time() // 60) == minute:
            break
    # Each server saw only half the attempts, yet the budget ran out at the shared total.
    assert statuses == [401] * AUTH_BUDGET + [429] * 4


def _runs(cluster: Cluster, job: str, since: datetime) -> list[tuple[datetime, str]]:
    rows = cluster.sql(
        "SELECT started_at, node FROM job_runs WHERE job = %s AND started_at >= %s ORDER BY started_at", job, since
    )
    return [(row[0], str(row[1])) for row in rows]  # type: ignore[misc]


def _node_pid(node: str) -> int:
    return int(node.rpartition(":")[2])


def _assert_once_per_tick(runs: list[tuple[datetime, str]], interval: float) -> None:
    starts = [started for started, _ in runs]
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(starts)]
    assert all(gap > interval / 4 for gap in gaps), f"two runs in one tick: {gaps}"  # late ticks still pass


async def test_each_periodic_job_runs_once_per_tick_and_the_standby_takes_over(cluster: Cluster) -> None:
    since = datetime.now(UTC)
    await asyncio.sleep(5)
    runs = {job: _runs(cluster, job, since) for job in ("publish_events", "complete_focus_sessions", "send_outbox")}
    leaders = {node for job_runs in runs.values() for _, node in job_runs}
    assert len(leaders) == 1, f"jobs ran on several nodes at once: {leaders}"
    assert 4 <= len(runs["publish_events"]) <= 6
    assert 2 <= len(runs["send_outbox"]) <= 3
    _assert_once_per_tick(runs["publish_events"], 1.0)
    _assert_once_per_tick(runs["complete_focus_sessions"], 1.0)
    _assert_once_per_tick(runs["send_outbox"], 2.0)
    assert cluster.sql("SELECT count(*) FROM job_runs WHERE job = 'reading_stats'")[0][0] >= 1

    # The leader is stopped (SIGTERM, as an orchestrator does): it finishes what it runs and
    # takes no new work; the standby takes over.
    leader_pid = _node_pid(leaders.pop())
    leader = next(proc for proc in cluster.schedulers if proc.pid == leader_pid)
    standby = next(proc for proc in cluster.schedulers if proc is not leader)
    leader.signal(signal.SIGTERM)
    stopped_at = time.monotonic()
    assert leader.wait(15) == 0, leader.tail()
    record("cluster: scheduler stop after SIGTERM (ms)", round((time.monotonic() - stopped_at) * 1000))
    ended = datetime.now(UTC)
    leader_runs = cluster.sql(
        "SELECT count(*) FILTER (WHERE finished_at IS NULL), count(*) FILTER (WHERE started_at > %s)"
        " FROM job_runs WHERE node LIKE %s",
        ended,
        f"%:{leader.pid}",
    )
    assert leader_runs == [(0, 0)], "the stopped scheduler left a run half-done or started one after stopping"

    deadline = time.monotonic() + 10
    while not any(node.endswith(f":{standby.pid}") for _, node in _runs(cluster, "publish_events", since)):
        assert time.monotonic() < deadline, f"the standby did not take over\n{standby.tail()}"
        await asyncio.sleep(0.2)
    record("cluster: scheduler take-over (ms)", round((time.monotonic() - stopped_at) * 1000))
    await asyncio.sleep(2)
    taken_over = [run for run in _runs(cluster, "publish_events", since) if run[1].endswith(f":{standby.pid}")]
    _assert_once_per_tick(taken_over, 1.0)
    # No overlap: the new leader's first run starts after the old leader's last one ended. (Its
    # tick is its own, so the hand-over itself may bring two runs less than a second apart.)
    last_end = cluster.sql("SELECT max(finished_at) FROM job_runs WHERE node LIKE %s", f"%:{leader.pid}")[0][0]
    assert taken_over[0][0] >= last_end  # type: ignore[operator]


async def test_outbox_messages_are_delivered_exactly_once_by_competing_senders(cluster: Cluster) -> None:
    """Two ``athenaeum jobs run send_outbox`` at once; each claims one batch of 50 (``FOR UPDATE
    SKIP LOCKED`` and a lease), so 100 messages are sent by exactly these two runs, each once.
    The schedulers are paused meanwhile (SIGSTOP) so that the two runs are the only senders."""
    count = 100  # two batches
    engine = create_engine(cluster.url, pool_size=1, max_overflow=0)
    dispatch = Dispatch(email_retry=RetryPolicy(retries=3, delay=timedelta(seconds=300)))
    paused = [proc for proc in cluster.schedulers if proc.alive()]
    for proc in paused:
        proc.signal(signal.SIGSTOP)
    try:
        async with engine.begin() as conn:
            outbox = SqlOutbox(conn)
            now = datetime.now(UTC)
            for n in range(count):
                await outbox.add(dispatch.email("reader@example.org", f"cluster mail {n}", "hello"), now=now)
        reports = await asyncio.gather(
            asyncio.to_thread(cluster.procs.run, "jobs", "run", "send_outbox"),
            asyncio.to_thread(cluster.procs.run, "jobs", "run", "send_outbox"),
        )
    finally:
        for proc in paused:
            proc.signal(signal.SIGCONT)
        await engine.dispose()

    sent = [int(report.split("sent ")[1].split(",")[0]) for report in reports]
    assert sent == [50, 50], reports
    subjects = [mail.subject for mail in cluster.smtp.received if mail.subject.startswith("cluster mail")]
    assert sorted(subjects) == sorted(f"cluster mail {n}" for n in range(count))  # each once, none twice
    assert cluster.sql("SELECT status, attempts, count(*) FROM outbox GROUP BY status, attempts") == [
        ("sent", 1, count)
    ]


async def test_the_publish_delay_holds_when_the_accepting_server_is_killed(cluster: Cluster) -> None:
    admin = await person(cluster.a, "eve")
    cluster.sql("UPDATE users SET is_admin = true WHERE id = %s", admin.id)
    async with httpx.AsyncClient(base_url=cluster.a.url or "", headers=admin.headers) as http:
        accepted = await http.post("/api/events", json={"title": "Reading night"})
    assert accepted.status_code == 202, accepted.text
    cluster.a.signal(signal.SIGKILL)  # before the event is due: nothing in A could publish it
    assert cluster.a.wait(10) == -signal.SIGKILL
    event_id = accepted.json()["id"]
    available_at = datetime.fromisoformat(accepted.json()["available_at"])

    async with httpx.AsyncClient(base_url=cluster.b.url or "", headers=admin.headers) as http:
        assert (await http.get(f"/api/events/{event_id}")).status_code == 404  # not yet
        deadline = time.monotonic() + PUBLISH_DELAY + 10
        while (shown := await http.get(f"/api/events/{event_id}")).status_code == 404:
            assert time.monotonic() < deadline, cluster.procs.logs()
            await asyncio.sleep(0.2)
    seen_at = datetime.now(UTC)
    assert shown.status_code == 200, shown.text
    assert seen_at >= available_at
    record("cluster: event published after it was due (ms)", round((seen_at - available_at).total_seconds() * 1000))
