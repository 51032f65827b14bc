"""Open-loop (fixed-rate) HTTP/1.1 load: latency measured from the *scheduled* send time.

    python bench/openloop.py http://127.0.0.1:8101 --rate 400 --duration 15 \\
        --paths /tmp/paths.txt [--tokens /tmp/tokens.txt]

Request ``i`` is due at ``start + i / rate`` whatever happened to the ones before it
(wrk2's model): when every keep-alive connection is busy, the request waits for one and
that wait counts in its latency, so a server that falls behind shows it in p99 instead of
slowing the generator down (no coordinated omission). GET only; paths are drawn at random
from ``--paths`` (one per line), bearer tokens from ``--tokens``.

The generator's own limit is reported: ``send_lag_p99_ms`` is how late the event loop got
to each request relative to its due time, before any wait for a connection. A p99 of the
same order as that lag measures the generator, not the server. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from urllib.parse import urlsplit


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> int:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        close = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            lname = name.strip().lower()
            if lname == b"content-length":
                length = int(value)
            elif lname == b"connection" and value.strip().lower() == b"close":
                close = True
        if length:
            await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def run(args: argparse.Namespace) -> dict[str, object]:
    url = urlsplit(args.url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    paths = [line.strip() for line in open(args.paths) if line.strip()]  # noqa: ASYNC230, PTH123, SIM115
    tokens = [line.strip() for line in open(args.tokens) if line.strip()] if args.tokens else [""]  # noqa: ASYNC230, PTH123, SIM115
    rng = random.Random(7)

    def build() -> bytes:
        auth = f"Authorization: Bearer {rng.choice(tokens)}\r\n" if args.tokens else ""
        return f"GET {rng.choice(paths)} HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}\r\n".encode()

    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(args.connections):
        idle.put_nowait(Connection(host, port))
    latencies: list[float] = []
    lags: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    pending: set[asyncio.Task[None]] = set()

    async def one(due: float, raw: bytes, record: bool) -> None:
        nonlocal errors
        started = time.perf_counter()  # how late the loop got to this request (the generator's own lag)
        conn = await idle.get()
        try:
            status = await asyncio.wait_for(conn.request(raw), timeout=args.timeout)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
            conn.close()
            if record:
                errors += 1
            idle.put_nowait(conn)
            return
        idle.put_nowait(conn)
        if record:
            done = time.perf_counter()
            latencies.append(done - due)
            lags.append(started - due)
            statuses[status] = statuses.get(status, 0) + 1

    total_s = args.warmup + args.duration
    count = int(total_s * args.rate)
    warm = int(args.warmup * args.rate)
    start = time.perf_counter() + 0.05
    for i in range(count):
        due = start + i / args.rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(due, build(), i >= warm))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending, timeout=args.timeout + 1)
    measured = count - warm
    ok = sum(n for code, n in statuses.items() if 200 <= code < 300)
    return {
        "rate": args.rate,
        "duration_s": args.duration,
        "scheduled": measured,
        "completed": len(latencies),
        "ok": ok,
        "errors": errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p90_ms": percentile(latencies, 0.90) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies, default=float("nan")) * 1000,
        "send_lag_p99_ms": percentile(lags, 0.99) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=3, help="seconds at the same rate, not recorded")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--paths", required=True)
    parser.add_argument("--tokens", default=None)
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run(args))
    else:
        result = uvloop.run(run(args))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
