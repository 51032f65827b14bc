"""Chat throughput end to end: the real app in its own process, N real Socket.IO clients.

    uv run python bench/socketio_bench.py                      # embedded SQLite in a temp dir
    uv run python bench/socketio_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/socketio_bench
    uv run python bench/socketio_bench.py --redis-url redis://127.0.0.1:6379/15   # Redis client manager
    just bench-socketio                                         # Postgres, pinned, both modes

What happens: the database is migrated; ``--clients`` users are created (tokens signed
directly, no login round trips); the app is started with uvicorn in a subprocess (one
worker, pinned to ``--server-cpus``; this process pins itself to ``--client-cpus``); every
user connects over websocket to ``/chat``. Then, per mode:

- ``direct``: ``send`` of a direct message to a random other user (one delivery each);
- ``room``: every client joins the ``lobby``; ``send_room`` to it reaches every member
  (``--clients`` deliveries per message, the sender's own connection included).

Each mode has two runs. ``max``: ``--senders`` clients send for ``--duration`` seconds,
``--window`` messages in flight each (closed loop: the next one after the acks). ``paced``:
messages are offered at a fixed rate (``--rate`` deliveries/s, or 80 % of the max run's rate
when that is lower) from all clients in turn without waiting for acks, and delivery latency
is counted from each message's *scheduled* time. Every message is stored, committed and
pushed, exactly as in production. The text carries the time, so the receiving client
measures delivery latency (same clock: all clients run in this process).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import httpx
import socketio
from sio_client import LeanClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from domain.shared import UserId
from entrypoints import migrate
from entrypoints.container import build_container, close_gateways
from entrypoints.settings import load_settings

QUIET_SECONDS = 2.0  # after the last send: wait this long without a delivery before giving up


@dataclass
class Stats:
    delivered: int = 0
    latencies: list[float] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)
    sent: int = 0
    errors: int = 0
    last_delivery: float = 0.0

    def on_message(self, data: dict[str, Any]) -> None:
        now = time.perf_counter()
        with contextlib.suppress(ValueError, KeyError, TypeError):
            sent_at = float(data["text"].split(" ", 1)[0])
            self.latencies.append(now - sent_at)
        self.delivered += 1
        self.last_delivery = now


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_times(pid: int) -> tuple[float, float] | None:
    """User and system CPU seconds of a process (Linux), to tell server cost from client cost,
    and the server's Python from the kernel work its socket writes and wake-ups cause."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def create_users(env: dict[str, str], count: int, run: str) -> list[tuple[int, str]]:
    settings = load_settings({k: v for k, v in env.items() if k.startswith("ATHENAEUM_")}, env_file=None)
    container = build_container(settings)
    try:
        register = container.identity.register_user()
        codec = container.gateways.tokens()
        now = container.gateways.clock().now()
        users = []
        for n in range(count):
            user = await register(
                username=f"sio{run}_{n}", email=f"sio{run}_{n}@example.org", password=f"pw-{run}-{n}-long-enough"
            )
            users.append((user.uid, codec.encode_access(UserId(user.uid), now)))
        return users
    finally:
        await close_gateways(container)


async def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"the server exited with {process.returncode}")
            try:
                if (await client.get(f"{url}/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not start")


def bench_environment(args: argparse.Namespace, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATHENAEUM_")}
    return {
        **env,
        "ATHENAEUM_DATABASE_URL": args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
        "ATHENAEUM_SECRET_KEY": secrets.token_urlsafe(48),
        "ATHENAEUM_VAR_DIR": str(workdir / "var"),
        "ATHENAEUM_MEDIA_DIR": str(workdir / "media"),
        "ATHENAEUM_SCHEDULER": "off",
        "ATHENAEUM_LOG_LEVEL": "warning",
        "ATHENAEUM_PASSWORD_MEMORY_KIB": "1024",
        "ATHENAEUM_PASSWORD_TIME_COST": "1",
        "ATHENAEUM_SOCKETIO_EVENTS_PER_SECOND": "1000000",  # the per-connection limit would cap the senders
        "ATHENAEUM_REDIS_URL": args.redis_url or "",
        "ATHENAEUM_SOCKETIO_CHANNEL": f"athenaeum-bench-{secrets.token_hex(4)}",
    }


def start_server(env: dict[str, str], workdir: Path, port: int, cpus: str, app: str) -> subprocess.Popen[bytes]:
    """One worker, the way ``athenaeum serve`` runs it (uvicorn's defaults: uvloop + httptools +
    websockets-sansio); ``app`` "floor": bench/sio_floor.py instead of Athenaeum."""
    pin = ["taskset", "-c", cpus] if cpus else []
    floor = ["--app-dir", str(ROOT / "bench"), "sio_floor:app"]
    target = floor if app == "floor" else ["entrypoints.asgi:create_asgi_app", "--factory"]
    command = [*pin, sys.executable, "-m", "uvicorn", *target]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    return subprocess.Popen(command, env={**env, "PYTHONPATH": str(ROOT / "src")}, cwd=workdir)


class LibraryClient:
    """python-socketio's ``AsyncClient`` behind the same four calls as ``LeanClient``."""

    def __init__(self) -> None:
        self._client = socketio.AsyncClient(reconnection=False)

    @property
    def connected(self) -> bool:
        return bool(self._client.connected)

    def on(self, event: str, handler: Any) -> None:
        self._client.on(event, handler, namespace="/chat")

    async def connect(self, url: str, auth: dict[str, Any], timeout: float = 10) -> None:
        await self._client.connect(
            url, namespaces=["/chat"], transports=["websocket"], auth=auth, wait_timeout=round(timeout)
        )

    async def call(self, event: str, data: Any, timeout: float = 30) -> Any:
        return await self._client.call(event, data, namespace="/chat", timeout=timeout)

    async def disconnect(self) -> None:
        await self._client.disconnect()


Client = LeanClient | LibraryClient


async def connect_all(
    url: str, users: list[tuple[int, str]], stats: Stats, kind: str, session: aiohttp.ClientSession
) -> list[Client]:
    clients: list[Client] = []
    for _ in users:
        client: Client = LeanClient(session) if kind == "lean" else LibraryClient()
        client.on("message", stats.on_message)
        client.on("room_message", stats.on_message)
        clients.append(client)
    for batch in range(0, len(clients), 20):
        pairs = zip(clients[batch : batch + 20], users[batch : batch + 20], strict=True)
        await asyncio.gather(*(client.connect(url, {"token": token}) for client, (_, token) in pairs))
    return clients


class Phase:
    """One measured run: what was sent, what came back, the CPU each side used."""

    def __init__(self, stats: Stats, server_pid: int) -> None:
        self.stats, self.server_pid = stats, server_pid
        stats.delivered, stats.latencies, stats.acks, stats.sent, stats.errors = 0, [], [], 0, 0
        stats.last_delivery = 0.0
        self.server_cpu = cpu_times(server_pid)
        self.client_cpu = time.process_time()
        self.started = time.perf_counter()

    async def finish(self, expected: int) -> dict[str, Any]:
        stats = self.stats
        sending_done = time.perf_counter()
        last_seen = stats.delivered
        last_change = time.perf_counter()
        while stats.delivered < expected:
            await asyncio.sleep(0.05)
            if stats.delivered != last_seen:
                last_seen, last_change = stats.delivered, time.perf_counter()
            elif time.perf_counter() - last_change > QUIET_SECONDS:
                break
        end = stats.last_delivery or sending_done
        elapsed = max(end - self.started, 1e-9)
        server_cpu, before = cpu_times(self.server_pid), self.server_cpu
        server_system = server_cpu[1] - before[1] if server_cpu and before else None
        server_used = sum(server_cpu) - sum(before) if server_cpu and before else None
        client_used = time.process_time() - self.client_cpu
        delivered = max(stats.delivered, 1)
        return {
            "sent": stats.sent,
            "send_errors": stats.errors,
            "expected": expected,
            "delivered": stats.delivered,
            "elapsed_s": round(elapsed, 3),
            "delivered_per_s": stats.delivered / elapsed,
            "sent_per_s": stats.sent / elapsed,
            "delivery_p50_ms": percentile(stats.latencies, 0.5) * 1000,
            "delivery_p99_ms": percentile(stats.latencies, 0.99) * 1000,
            "delivery_max_ms": max(stats.latencies, default=float("nan")) * 1000,
            "ack_p50_ms": percentile(stats.acks, 0.5) * 1000,
            "ack_p99_ms": percentile(stats.acks, 0.99) * 1000,
            "server_cpu_ms_per_msg": (server_used / delivered * 1000) if server_used is not None else float("nan"),
            "server_kernel_share": (server_system / server_used) if server_used and server_system is not None else None,
            "client_cpu_ms_per_msg": client_used / delivered * 1000,
        }


class Sender:
    def __init__(self, mode: str, clients: list[Client], ids: list[int], stats: Stats) -> None:
        self.mode, self.clients, self.ids, self.stats = mode, clients, ids, stats
        self.fanout = len(clients) if mode == "room" else 1

    async def send(self, index: int, rng: random.Random, stamp: float) -> None:
        client, me = self.clients[index], self.ids[index]
        if self.mode == "room":
            event, payload = "send_room", {"room": "lobby", "text": f"{stamp!r} bench"}
        else:
            other = me
            while other == me:
                other = rng.choice(self.ids)
            event, payload = "send", {"recipient_id": other, "text": f"{stamp!r} bench"}
        self.stats.sent += 1
        try:
            ack = await client.call(event, payload, timeout=30)
        except (TimeoutError, ConnectionError, socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
            ack = {"error": "timeout"}
        self.stats.acks.append(time.perf_counter() - stamp)
        if not isinstance(ack, dict) or "error" in ack:
            self.stats.errors += 1

    def expected(self) -> int:
        return (self.stats.sent - self.stats.errors) * self.fanout


async def run_max(args: argparse.Namespace, sender: Sender, server_pid: int, seconds: float) -> dict[str, Any]:
    """Closed loop: ``args.senders`` clients, ``args.window`` in flight each, for ``seconds``."""
    phase = Phase(sender.stats, server_pid)
    until = time.perf_counter() + seconds

    async def loop(index: int) -> None:
        rng = random.Random(index)
        while time.perf_counter() < until:
            await asyncio.gather(*(sender.send(index, rng, time.perf_counter()) for _ in range(args.window)))

    await asyncio.gather(*(loop(i) for i in range(min(args.senders, len(sender.clients)))))
    return await phase.finish(sender.expected())


async def run_paced(args: argparse.Namespace, sender: Sender, server_pid: int, rate: float) -> dict[str, Any]:
    """Open loop: ``rate`` deliveries/s offered, sends spread over all clients in turn."""
    sends_per_s = rate / sender.fanout
    count = max(1, int(sends_per_s * args.duration))
    phase = Phase(sender.stats, server_pid)
    rng = random.Random(1)
    start = time.perf_counter() + 0.05
    tasks: set[asyncio.Task[None]] = set()
    for i in range(count):
        due = start + i / sends_per_s
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(sender.send(i % len(sender.clients), rng, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=35)
    result = await phase.finish(sender.expected())
    return {**result, "rate": rate}


def start_profile(args: argparse.Namespace, pid: int, mode: str) -> subprocess.Popen[bytes] | None:
    """py-spy (through uvx) on the server during the max run: collapsed stacks in ``--profile-dir``."""
    uvx = shutil.which("uvx")
    if not args.profile_dir or uvx is None:
        return None
    out = Path(args.profile_dir) / f"profile-socketio-{mode}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [uvx, "--from", "py-spy", "py-spy", "record", "--pid", str(pid), "--format", "raw", "--rate", "250"]
    cmd += ["--duration", f"{max(1, int(args.duration))}", "--output", str(out), "--nonblocking"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ensure_postgres_database(url: str) -> None:
    """Create the database of a ``postgresql+psycopg://`` URL when it does not exist yet."""
    import psycopg

    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://", 1))
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="athenaeum-sio-bench-"))
    if args.database_url and args.database_url.startswith("postgresql"):
        ensure_postgres_database(args.database_url)
    env = bench_environment(args, workdir)
    await asyncio.to_thread(migrate.upgrade, env["ATHENAEUM_DATABASE_URL"])
    users = await create_users(env, args.clients, secrets.token_hex(3))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(env, workdir, port, args.server_cpus, args.app)
    stats = Stats()
    clients: list[Client] = []
    session = aiohttp.ClientSession()
    out: dict[str, Any] = {
        "backend": env["ATHENAEUM_DATABASE_URL"].split(":", 1)[0] + (" + redis" if args.redis_url else ""),
        "clients": args.clients,
        "senders": args.senders,
        "window": args.window,
        "duration_s": args.duration,
        "client": args.client,
        "app": args.app,
    }
    try:
        await wait_ready(url, server)
        started = time.perf_counter()
        clients = await connect_all(url, users, stats, args.client, session)
        out["connect_s"] = round(time.perf_counter() - started, 2)
        ids = [user_id for user_id, _ in users]
        for mode in args.modes:
            if mode == "room":
                acks = await asyncio.gather(*(c.call("join", {"room": "lobby"}, timeout=10) for c in clients))
                if any("error" in ack for ack in acks):
                    raise SystemExit(f"join lobby failed: {acks[0]}")
            sender = Sender(mode, clients, ids, stats)
            # warm-up (not reported): connection pool, prepared statements, caches
            await run_max(args, sender, server.pid, min(2.0, args.duration))
            spy = start_profile(args, server.pid, mode)
            best = await run_max(args, sender, server.pid, args.duration)
            if spy is not None:
                await asyncio.to_thread(spy.wait, 60)
            rate = min(args.rate, 0.8 * best["delivered_per_s"]) if args.rate else 0.8 * best["delivered_per_s"]
            paced = await run_paced(args, sender, server.pid, rate)
            out[mode] = {"fanout": sender.fanout, "max": best, "paced": paced}
    finally:
        for client in clients:
            if client.connected:
                await client.disconnect()
        await session.close()
        server.terminate()
        server.wait(timeout=30)
    return out


def kernel_share(run: dict[str, Any]) -> str:
    """`` (41 % in the kernel)`` for a run that measured it, nothing for one that did not."""
    share = run.get("server_kernel_share")
    return "" if share is None else f" ({share:.0%} in the kernel)"


def render(result: dict[str, Any]) -> str:
    server = "the floor, bench/sio_floor.py: no database" if result.get("app") == "floor" else "Athenaeum"
    lines = [
        "",
        f"Socket.IO chat benchmark ({server}; one uvicorn worker, {result['backend']}, {result['clients']} clients"
        f" ({result.get('client', 'python-socketio')} client),"
        f" max runs: {result['senders']} senders x {result['window']} in flight)",
    ]
    for mode in ("direct", "room"):
        if mode not in result:
            continue
        for name in ("max", "paced"):
            r = result[mode][name]
            offered = f"offered {r['rate']:,.0f}/s" if name == "paced" else "closed loop"
            lines.append(
                f"  {mode:<6} {name:<5} {offered:>20}: {r['delivered_per_s']:>9,.0f} delivered/s,"
                f" delivery p50 {r['delivery_p50_ms']:.1f} ms p99 {r['delivery_p99_ms']:.1f} ms,"
                f" ack p99 {r['ack_p99_ms']:.1f} ms, {r['delivered']}/{r['expected']} delivered,"
                f" {r['send_errors']} errors, server {r['server_cpu_ms_per_msg']:.3f} ms CPU/msg"
                f"{kernel_share(r)},"
                f" clients {r['client_cpu_ms_per_msg']:.3f} ms CPU/msg"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--redis-url", default=None, help="use the Redis client manager (pub/sub on every emit)")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--senders", type=int, default=20, help="clients sending in the max runs")
    parser.add_argument("--window", type=int, default=4, help="messages in flight per sender in the max runs")
    parser.add_argument("--duration", type=float, default=10, help="seconds per run")
    parser.add_argument("--rate", type=float, default=10_000, help="deliveries/s offered in the paced runs")
    parser.add_argument("--mode", default="direct,room", help="direct, room or both (comma separated)")
    parser.add_argument("--server-cpus", default="0" if (os.cpu_count() or 1) > 1 else "")
    parser.add_argument("--client-cpus", default="1" if (os.cpu_count() or 1) > 1 else "")
    parser.add_argument(
        "--client",
        choices=["lean", "python-socketio"],
        default="lean",
        help="the clients' implementation (lean: bench/sio_client.py, lighter than the library's; see there)",
    )
    parser.add_argument(
        "--app",
        choices=["athenaeum", "floor"],
        default="athenaeum",
        help="the server (floor: bench/sio_floor.py, the same events on python-socketio with no database)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object (for bench/harness.py)")
    parser.add_argument("--profile-dir", default=None, help="py-spy the server during the max runs, stacks here")
    args = parser.parse_args()
    args.modes = [m for m in args.mode.split(",") if m in {"direct", "room"}]
    if args.client_cpus:
        os.sched_setaffinity(0, {int(c) for c in args.client_cpus.split(",")})
    result = asyncio.run(bench(args))
    sys.stdout.write(render(result))
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
