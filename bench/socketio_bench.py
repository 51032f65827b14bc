# ruff: noqa: INP001 - a stand-alone script, not a package
"""Chat throughput end to end: the real app in its own process, N real Socket.IO clients.

    uv run python bench/socketio_bench.py                      # embedded SQLite in a temp dir
    uv run python bench/socketio_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    uv run python bench/socketio_bench.py --redis-url redis://127.0.0.1:6379/15   # Redis client manager

What happens: the database is migrated; ``--clients`` users are created (tokens signed
directly, no login round trips); the app is started with uvicorn in a subprocess (one
worker); every user connects over websocket to ``/chat``; ``--senders`` of them send
``--messages`` direct messages in total to random other users, each sender waiting for
the ack of one message before sending the next (``--window`` in flight per sender). Every
message is stored, committed and pushed, exactly as in production. The text carries the
send time, so the receiving client measures delivery latency (same clock: all clients
run in this process). Prints messages delivered per second and latency percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import socketio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from domain.shared import UserId  # noqa: E402
from entrypoints import migrate  # noqa: E402
from entrypoints.container import build_container, close_gateways  # noqa: E402
from entrypoints.settings import load_settings  # noqa: E402


@dataclass
class Stats:
    expected: int
    delivered: int = 0
    latencies: list[float] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)
    errors: int = 0
    last_delivery: float = 0.0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def on_message(self, data: dict[str, Any]) -> None:
        now = time.perf_counter()
        sent_at = float(data["text"].split(" ", 1)[0])
        self.latencies.append(now - sent_at)
        self.delivered += 1
        self.last_delivery = now
        if self.delivered >= self.expected:
            self.done.set()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux), to tell server cost from client cost."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
                username=f"bench{run}_{n}", email=f"bench{run}_{n}@example.org", password=f"pw-{run}-{n}"
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
                if (await client.get(f"{url}/health")).status_code == 200:  # noqa: PLR2004
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not start")


def bench_environment(args: argparse.Namespace, workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ATHENAEUM_DATABASE_URL": args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
        "ATHENAEUM_SECRET_KEY": secrets.token_urlsafe(48),
        "ATHENAEUM_VAR_DIR": str(workdir / "var"),
        "ATHENAEUM_MEDIA_DIR": str(workdir / "media"),
        "ATHENAEUM_SCHEDULER": "off",
        "ATHENAEUM_LOG_LEVEL": "warning",
        "ATHENAEUM_PASSWORD_MEMORY_KIB": "1024",
        "ATHENAEUM_PASSWORD_TIME_COST": "1",
        "ATHENAEUM_SOCKETIO_EVENTS_PER_SECOND": "1000000",  # the per-connection limit would cap the senders
        "ATHENAEUM_DB_POOL_SIZE": "20",
        "ATHENAEUM_REDIS_URL": args.redis_url or "",
        "ATHENAEUM_SOCKETIO_CHANNEL": f"athenaeum-bench-{secrets.token_hex(4)}",
    }


def start_server(env: dict[str, str], workdir: Path, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "entrypoints.asgi:create_asgi_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    return subprocess.Popen(command, env={**env, "PYTHONPATH": str(ROOT / "src")}, cwd=workdir)  # noqa: S603


async def connect_all(url: str, users: list[tuple[int, str]], stats: Stats) -> list[socketio.AsyncClient]:
    clients = []
    for _ in users:
        client = socketio.AsyncClient(reconnection=False)
        client.on("message", stats.on_message, namespace="/chat")
        clients.append(client)
    for batch in range(0, len(clients), 20):
        pairs = zip(clients[batch : batch + 20], users[batch : batch + 20], strict=True)
        await asyncio.gather(
            *(
                client.connect(
                    url, namespaces=["/chat"], transports=["websocket"], auth={"token": token}, wait_timeout=10
                )
                for client, (_, token) in pairs
            )
        )
    return clients


async def send_all(args: argparse.Namespace, clients: list[socketio.AsyncClient], ids: list[int], stats: Stats) -> None:
    """``args.senders`` clients send ``args.messages`` in all, ``args.window`` in flight each."""

    async def sender(index: int, count: int) -> None:
        client, me = clients[index], ids[index]
        others = [user_id for user_id in ids if user_id != me]
        rng = random.Random(index)  # noqa: S311 - load generation, not secrets

        async def one() -> None:
            sent_at = time.perf_counter()
            payload = {"recipient_id": rng.choice(others), "text": f"{sent_at!r} bench"}
            ack = await client.call("send", payload, namespace="/chat", timeout=30)
            stats.acks.append(time.perf_counter() - sent_at)
            if "error" in ack:
                stats.errors += 1
                stats.expected -= 1

        remaining = count
        while remaining:
            burst = min(args.window, remaining)
            await asyncio.gather(*(one() for _ in range(burst)))
            remaining -= burst

    shares = [args.messages // args.senders + (i < args.messages % args.senders) for i in range(args.senders)]
    await asyncio.gather(*(sender(i, n) for i, n in enumerate(shares)))
    if stats.delivered < stats.expected:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stats.done.wait(), timeout=30)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def bench(args: argparse.Namespace) -> list[tuple[str, str]]:
    workdir = Path(tempfile.mkdtemp(prefix="athenaeum-bench-"))
    env = bench_environment(args, workdir)
    await asyncio.to_thread(migrate.upgrade, env["ATHENAEUM_DATABASE_URL"])
    users = await create_users(env, args.clients, secrets.token_hex(3))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(env, workdir, port)
    stats = Stats(expected=args.messages)
    clients: list[socketio.AsyncClient] = []
    try:
        await wait_ready(url, server)
        started = time.perf_counter()
        clients = await connect_all(url, users, stats)
        connect_seconds = time.perf_counter() - started

        server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
        started = time.perf_counter()
        await send_all(args, clients, [user_id for user_id, _ in users], stats)
        elapsed = (stats.last_delivery or time.perf_counter()) - started
        server_cpu = (cpu_seconds(server.pid) or 0.0) - server_cpu if server_cpu is not None else None
        client_cpu = time.process_time() - client_cpu
    finally:
        for client in clients:
            if client.connected:
                await client.disconnect()
        server.terminate()
        server.wait(timeout=30)

    delivered = max(1, stats.delivered)
    return [
        ("backend", env["ATHENAEUM_DATABASE_URL"].split(":", 1)[0] + (" + redis" if args.redis_url else "")),
        ("clients connected", f"{len(clients)} in {connect_seconds:.2f} s"),
        ("senders x messages in flight", f"{args.senders} x {args.window}"),
        ("messages sent / delivered", f"{args.messages} / {stats.delivered} ({stats.errors} errors)"),
        ("elapsed", f"{elapsed:.2f} s"),
        ("delivered messages/s", f"{stats.delivered / elapsed:,.0f}"),
        (
            "delivery latency p50 / p99",
            f"{ms(percentile(stats.latencies, 0.5))} / {ms(percentile(stats.latencies, 0.99))}",
        ),
        ("ack latency p50 / p99", f"{ms(percentile(stats.acks, 0.5))} / {ms(percentile(stats.acks, 0.99))}"),
        ("mean delivery latency", ms(statistics.fmean(stats.latencies)) if stats.latencies else "-"),
        ("server CPU per message", f"{server_cpu / delivered * 1000:.2f} ms" if server_cpu is not None else "-"),
        ("bench clients' CPU per message", f"{client_cpu / delivered * 1000:.2f} ms"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--redis-url", default=None, help="use the Redis client manager (pub/sub on every emit)")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--window", type=int, default=1, help="messages in flight per sender")
    rows = asyncio.run(bench(parser.parse_args()))
    width = max(len(name) for name, _ in rows)
    lines = [
        "",
        "Socket.IO chat benchmark (one uvicorn worker)",
        *(f"  {name:<{width}}  {value}" for name, value in rows),
    ]
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
