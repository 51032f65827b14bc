"""`just bench`: Athenaeum against the DRF baseline and a bare ceiling app, in one run.

    uv run --frozen python bench/harness.py            # full run (about 12 minutes)
    uv run --frozen python bench/harness.py --quick    # short run (about 4 minutes)
    uv run --frozen python bench/harness.py --render   # BENCHMARKS.md again from latest.json

What it does, in order:
1. Postgres on 127.0.0.1:5432 (user postgres, trust): databases athenaeum_bench,
   ceiling_bench (Athenaeum's schema, for the ceiling app) and peer_bench (the DRF peer's),
   each seeded alike: 10,000 books with 1,000,000 copies, 1,000 users bench{i}@example.org /
   benchpass123, 10 closed reading sessions per user.
2. Three servers, each pinned to CPU 0 (taskset): Athenaeum via its production path
   (`athenaeum serve --workers 1` from a `uv sync --no-dev` install in var/bench-venv,
   Postgres, logs at warning), the DRF peer (gunicorn,
   `serve.sh`, 2 sync workers by default), the ceiling app (bench/ceiling.py on uvicorn
   with uvloop + httptools, one process). The load generator (wrk + bench/scenario.lua)
   runs on CPU 1. Postgres is not pinned (2 cores: it shares them with both).
3. Per endpoint: a fresh seed for every writing scenario (the reads and the first writing
   scenario share the initial one: reads leave nothing behind), then rounds of Athenaeum, DRF,
   ceiling (A B C A B C ...), each a discarded warmup plus a measured wrk run. Per run:
   ok req/s, p50, p99, statuses, CPU of the server and its Postgres backends, and the
   share of the machine used by unrelated processes (other tenants).
4. After the borrowing runs: no oversold copy (inventory + active borrowings = seeded
   inventory for every book, inventory never negative), on both sides.
5. Open loop: p99 at 80 % of DRF's max rate (bench/openloop.py, fixed rate) on both.
6. Peak RSS of the Athenaeum worker (VmHWM) under the endpoints' load; the logins before
   the runs (start-up + a burst of argon2 hashes) are reported apart, like login itself.
7. py-spy profiles of the Athenaeum worker for every endpoint that misses a target.
8. Login apart: each side at its default hashing cost, then Athenaeum with argon2's
   time cost raised until one hash costs what DRF's PBKDF2 costs (equal cost).
9. The framework's floor (bench/floor.py): a bare ASGI app and a one-handler Litestar app,
   no database, served and loaded like the ceiling app: Litestar's own CPU per request.
10. The Socket.IO benchmark (bench/socketio_bench.py).
Results: printed, bench/results/latest.{md,json}, and BENCHMARKS.md at the repo root.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil
import psycopg

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
LUA = BENCH / "scenario.lua"
PG = "postgresql://postgres@127.0.0.1:5432"
PASSWORD = "benchpass123"
INVENTORY = 1_000_000
CLK_TCK = os.sysconf("SC_CLK_TCK")

SCENARIOS: dict[str, dict[str, Any]] = {
    "books_list": {"label": "GET /api/books?limit=20", "auth": False, "kind": "read"},
    "book_detail": {"label": "GET /api/books/{random id}", "auth": False, "kind": "read"},
    "users_me": {"label": "GET /api/users/me", "auth": True, "kind": "read"},
    "reading_start": {"label": "POST /api/books/{id}/reading/start", "auth": True, "kind": "write"},
    "borrowings": {"label": "POST /api/borrowings", "auth": True, "kind": "write"},
}
LOGIN_LABEL = "POST /api/auth/login"
TARGET_READ_X, TARGET_READ_CEIL, TARGET_WRITE_X = 4.0, 0.60, 2.5
TARGET_P99_SHARE, TARGET_RSS_MB = 1 / 3, 150.0
TARGET_SIO_RATE, TARGET_SIO_P99_MS = 10_000.0, 50.0


def log(msg: str) -> None:
    sys.stderr.write(f"[{dt.datetime.now(dt.UTC):%H:%M:%S}] {msg}\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------- machine


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine."""
    with Path("/proc/stat").open() as fh:
        values = [int(x) for x in fh.readline().split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return total - idle, total


def proc_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])


def tree(pid: int) -> list[int]:
    try:
        proc = psutil.Process(pid)
        return [pid, *(child.pid for child in proc.children(recursive=True))]
    except psutil.Error:
        return []


def hwm_kib(pid: int) -> int:
    """Peak resident set (VmHWM) of one process, KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_text(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def machine_facts(args: argparse.Namespace) -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        "",
    )
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    with psycopg.connect(f"{PG}/postgres") as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        pg_settings = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
            for name in ("shared_buffers", "max_connections", "synchronous_commit")
        }
    peer_versions = {}
    constraints = args.peer_dir / "constraints.txt"
    if constraints.is_file():
        for line in constraints.read_text().splitlines():
            name, _, ver = line.partition("==")
            if name.lower() in {
                "django",
                "djangorestframework",
                "djangorestframework_simplejwt",
                "gunicorn",
                "psycopg",
            }:
                peer_versions[name] = ver
    return {
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "command": " ".join(["bench/harness.py", *sys.argv[1:]]),
        "git_commit": run_text(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": run_text(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "postgres": pg_version,
        "postgres_settings": pg_settings,
        "python": platform.python_version(),
        "athenaeum_packages": {
            name: version(name)
            for name in (
                "litestar",
                "msgspec",
                "sqlalchemy",
                "psycopg",
                "psycopg-pool",
                "uvicorn",
                "uvloop",
                "httptools",
                "argon2-cffi",
                "python-socketio",
                "pyjwt",
            )
        },
        "peer_packages": peer_versions,
        "wrk": run_text([args.wrk, "-v"]).splitlines()[0] if run_text([args.wrk, "-v"]) else "",
        "loadavg_start": os.getloadavg(),
    }


# --------------------------------------------------------------------------- databases


def psql_admin(sql: str) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def ensure_database(name: str) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]


def seed_athenaeum(db: str, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}"
    cmd = [sys.executable, str(BENCH / "seed.py"), url, "--reset"]
    cmd += ["--books", str(args.books), "--users", str(args.users)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)


def peer_env(args: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.peer_db}",
        "DRF_VENV": args.drf_venv,
        "PEER_PENDING_PAYMENT_RULE": "1" if args.pending_rule else "0",
        "ACCESS_TOKEN_MINUTES": "120",
        "DJANGO_SECRET_KEY": "peer-bench-" + "x" * 40,
        "SERVER_CPUS": args.server_cpus,
    }


def setup_peer(args: argparse.Namespace) -> None:
    env = {**peer_env(args), "SKIP_SEED": "1"}
    subprocess.run(["bash", str(args.peer_dir / "setup.sh")], check=True, capture_output=True, env=env)


def seed_peer(args: argparse.Namespace) -> subprocess.Popen[bytes]:
    python = str(Path(args.drf_venv) / "bin" / "python")
    cmd = [python, "manage.py", "seed_bench", "--reset", "--books", str(args.books), "--users", str(args.users)]
    env = {**peer_env(args), "DJANGO_SETTINGS_MODULE": "library_peer.settings", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=args.peer_dir, env=env)


def reseed_all(args: argparse.Namespace) -> None:
    """The three databases at once (they are independent); a failed seed stops the run."""
    t0 = time.monotonic()
    jobs = {
        args.athenaeum_db: seed_athenaeum(args.athenaeum_db, args),
        args.ceiling_db: seed_athenaeum(args.ceiling_db, args),
        args.peer_db: seed_peer(args),
    }
    for db, job in jobs.items():
        output, _ = job.communicate()
        if job.returncode:
            raise SystemExit(f"seeding {db} failed:\n{output.decode()[-2000:]}")
    log(f"reseeded the three databases in {time.monotonic() - t0:.1f}s")


OVERSOLD_SQL = {
    "athenaeum": (
        "SELECT count(*) FILTER (WHERE b.inventory < 0), count(*) FILTER (WHERE b.inventory + coalesce(a.n, 0) <> %s), "
        "coalesce(sum(a.n), 0) FROM books b LEFT JOIN (SELECT book_id, count(*) AS n FROM borrowings "
        "WHERE actual_return_date IS NULL GROUP BY book_id) a ON a.book_id = b.id"
    ),
    "drf": (
        "SELECT count(*) FILTER (WHERE b.inventory < 0), count(*) FILTER (WHERE b.inventory + coalesce(a.n, 0) <> %s), "
        "coalesce(sum(a.n), 0) FROM catalog_book b LEFT JOIN (SELECT book_id, count(*) AS n "
        "FROM circulation_borrowing WHERE actual_return_date IS NULL GROUP BY book_id) a ON a.book_id = b.id"
    ),
}


def oversold(db: str, side: str) -> dict[str, int]:
    with psycopg.connect(f"{PG}/{db}") as conn:
        negative, mismatched, active = conn.execute(OVERSOLD_SQL[side], (INVENTORY,)).fetchone()  # type: ignore[misc]
    return {"negative_inventory_books": negative, "mismatched_books": mismatched, "active_borrowings": int(active)}


def db_backends(db: str) -> list[int]:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (db,)
        ).fetchall()
    return [row[0] for row in rows]


# --------------------------------------------------------------------------- servers


class Server:
    def __init__(self, name: str, label: str, port: int, db: str, cmd: list[str], env: dict[str, str]) -> None:
        self.name, self.label, self.port, self.db = name, label, port, db
        self.cmd, self.env = cmd, env
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{port}"
        self.dir = RESULTS / "run" / name
        self.tokens: list[str] = []
        self.peak_kib: dict[int, int] = {}
        self.login_peak_kib: dict[int, int] = {}
        self.peak_reset = True

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        logfile = (self.dir / "server.log").open("ab")
        self.proc = subprocess.Popen(
            self.cmd, env=self.env, cwd=ROOT, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited with {self.proc.returncode}; see {self.dir / 'server.log'}")
            with contextlib.suppress(OSError):
                if urllib.request.urlopen(f"{self.base}/health", timeout=2).status == 200:  # noqa: S310
                    log(f"{self.name} up on {self.base} (pid {self.proc.pid})")
                    return
            time.sleep(0.3)
        raise SystemExit(f"{self.name} did not come up; see {self.dir / 'server.log'}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.note_peak()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def pids(self) -> list[int]:
        return tree(self.proc.pid) if self.proc else []

    def note_peak(self) -> None:
        for pid in self.pids():
            self.peak_kib[pid] = max(self.peak_kib.get(pid, 0), hwm_kib(pid))

    def after_logins(self) -> None:
        """Logins are reported apart, memory too: keep the peak so far (start-up and a burst of
        logins, whose password hashes need their memory while they run) as the login peak, and
        restart VmHWM (``clear_refs`` 5) so that the peak reported for the load is the load's."""
        for pid in self.pids():
            self.login_peak_kib[pid] = max(self.login_peak_kib.get(pid, 0), self.peak_kib.pop(pid, 0), hwm_kib(pid))
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            except OSError:
                self.peak_reset = False  # not allowed here: the load's peak then includes the logins

    def http(self, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310
        if body is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()[:300]

    def write_data(self, book_ids: list[int], users: int) -> None:
        (self.dir / "books.txt").write_text("\n".join(map(str, book_ids)) + "\n")
        (self.dir / "emails.txt").write_text("\n".join(f"bench{i}@example.org" for i in range(users)) + "\n")
        (self.dir / "password.txt").write_text(PASSWORD + "\n")

    def login_all(self, users: int) -> None:
        from concurrent.futures import ThreadPoolExecutor

        def one(i: int) -> str | None:
            status, payload = self.http(
                "POST", "/api/auth/login", {"email": f"bench{i}@example.org", "password": PASSWORD}
            )
            return payload["access"] if status == 200 and isinstance(payload, dict) else None

        with ThreadPoolExecutor(4) as pool:
            tokens = [tok for tok in pool.map(one, range(users)) if tok]
        if not tokens:
            raise SystemExit(f"{self.name}: no login succeeded")
        self.tokens = tokens
        (self.dir / "tokens.txt").write_text("\n".join(tokens) + "\n")

    def use_tokens(self, tokens: list[str]) -> None:
        self.tokens = tokens
        (self.dir / "tokens.txt").write_text("\n".join(tokens) + "\n")

    def smoke(self, scenarios: list[str]) -> list[str]:
        problems = []
        tok = self.tokens[0]
        due = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=7)).isoformat()
        checks = {
            "books_list": ("GET", "/api/books?limit=20", None, None, 200),
            "book_detail": ("GET", "/api/books/5", None, None, 200),
            "users_me": ("GET", "/api/users/me", None, tok, 200),
            "reading_start": ("POST", "/api/books/5/reading/start", None, tok, 201),
            "borrowings": (
                "POST",
                "/api/borrowings",
                {"book_id": 5, "expected_return_date": due},
                self.tokens[-1],
                201,
            ),
        }
        for sc in scenarios:
            method, path, body, token, want = checks[sc]
            status, payload = self.http(method, path, body, token)
            if status != want:
                problems.append(f"{sc}: {status} {str(payload)[:160]} (expected {want})")
        return problems


PRODUCTION_VENV = ROOT / "var" / "bench-venv"


def production_install(args: argparse.Namespace) -> Path:
    """Athenaeum as it is deployed (the Dockerfile's ``uv sync --frozen --no-dev``), in a
    virtualenv of its own: the development one also holds the test tools, some of which
    (aiohttp) python-socketio's client imports on start, ~9 MB that no deployment carries.
    ``--dev-env`` serves from the current environment instead."""
    if args.dev_env:
        return Path(sys.executable).parent
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(PRODUCTION_VENV)}
    subprocess.run(["uv", "sync", "--frozen", "--no-dev", "--quiet"], cwd=ROOT, env=env, check=True)
    return PRODUCTION_VENV / "bin"


def build_servers(args: argparse.Namespace, secret: str) -> dict[str, Server]:
    pin = ["taskset", "-c", args.server_cpus] if args.server_cpus else []
    bindir = Path(sys.executable).parent
    athenaeum_bin = production_install(args)
    ath_env = {
        **os.environ,
        "ATHENAEUM_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{args.athenaeum_db}",
        "ATHENAEUM_SECRET_KEY": secret,
        "ATHENAEUM_LOG_LEVEL": "warning",
        "ATHENAEUM_SCHEDULER": "off",
        "ATHENAEUM_UNPAID_BLOCKS_BORROWING": "true" if args.pending_rule else "false",
        "ATHENAEUM_AUTH_RATE_LIMIT_PER_MINUTE": "100000000",
        "ATHENAEUM_ACCESS_TOKEN_MINUTES": "120",
        "ATHENAEUM_VAR_DIR": str(RESULTS / "run" / "athenaeum" / "var"),
        "ATHENAEUM_MEDIA_DIR": str(RESULTS / "run" / "athenaeum" / "media"),
    }
    for key in list(ath_env):  # a developer's .env or shell must not change the benchmark
        if key.startswith("ATHENAEUM_") and key not in {
            "ATHENAEUM_DATABASE_URL",
            "ATHENAEUM_SECRET_KEY",
            "ATHENAEUM_LOG_LEVEL",
            "ATHENAEUM_SCHEDULER",
            "ATHENAEUM_UNPAID_BLOCKS_BORROWING",
            "ATHENAEUM_AUTH_RATE_LIMIT_PER_MINUTE",
            "ATHENAEUM_ACCESS_TOKEN_MINUTES",
            "ATHENAEUM_VAR_DIR",
            "ATHENAEUM_MEDIA_DIR",
        }:
            del ath_env[key]
    ceiling_env = {
        **os.environ,
        "CEILING_DATABASE_URL": f"{PG}/{args.ceiling_db}",
        "CEILING_SECRET_KEY": secret,
        "CEILING_UNPAID_BLOCKS_BORROWING": "1" if args.pending_rule else "0",
    }
    ceiling_cmd = [*pin, str(bindir / "python"), "-m", "uvicorn", "--app-dir", str(BENCH), "ceiling:app"]
    ceiling_cmd += ["--port", str(args.port_base + 2), "--loop", "uvloop", "--http", "httptools"]
    ceiling_cmd += ["--no-access-log", "--log-level", "warning"]
    return {
        "athenaeum": Server(
            "athenaeum",
            "Athenaeum",
            args.port_base,
            args.athenaeum_db,
            [*pin, str(athenaeum_bin / "athenaeum"), "serve", "--port", str(args.port_base), "--workers", "1"],
            ath_env,
        ),
        "drf": Server(
            "drf",
            "DRF",
            args.port_base + 1,
            args.peer_db,
            ["bash", str(args.peer_dir / "serve.sh"), str(args.port_base + 1), str(args.drf_workers)],
            peer_env(args),
        ),
        "ceiling": Server("ceiling", "ceiling", args.port_base + 2, args.ceiling_db, ceiling_cmd, ceiling_env),
    }


# --------------------------------------------------------------------------- load


class Meter:
    """CPU of a server (its process tree and its Postgres backends), the machine's, and RSS samples."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.app = server.pids()
        self.db = db_backends(server.db)
        self.before = {pid: proc_ticks(pid) for pid in self.app + self.db}
        self.machine = machine_ticks()
        self.kids = os.times()
        self.rss_peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.25):
            for pid in self.app:
                with contextlib.suppress(psutil.Error):
                    self.rss_peak_kib = max(self.rss_peak_kib, psutil.Process(pid).memory_info().rss // 1024)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        busy1, total1 = machine_ticks()
        kids = os.times()
        self.server.note_peak()

        def used(pids: list[int]) -> float:
            total = 0
            for pid in pids:
                after, before = proc_ticks(pid), self.before.get(pid)
                if after is not None and before is not None:
                    total += after - before
            return total / CLK_TCK

        app_s, db_s = used(self.app), used(self.db)
        wrk_s = (kids.children_user - self.kids.children_user) + (kids.children_system - self.kids.children_system)
        busy_s = (busy1 - self.machine[0]) / CLK_TCK
        capacity_s = (total1 - self.machine[1]) / CLK_TCK
        others_s = max(0.0, busy_s - app_s - db_s - wrk_s)
        return {
            "app_cpu_s": round(app_s, 3),
            "db_cpu_s": round(db_s, 3),
            "load_gen_cpu_s": round(wrk_s, 3),
            "others_pct": round(100 * others_s / capacity_s, 1) if capacity_s else 0.0,
            "rss_peak_mb": round(self.rss_peak_kib / 1024, 1),
        }


def run_wrk(
    server: Server, scenario: str, seconds: float, connections: int, args: argparse.Namespace, tag: str
) -> dict[str, Any]:
    cmd = ["taskset", "-c", args.client_cpus] if args.client_cpus else []
    timeout = 30 if scenario == "login" else 10
    cmd += [args.wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", f"{timeout}s", "-s", str(LUA)]
    cmd += [server.base + "/", "--", scenario, str(server.dir), "", "Authorization"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    with (RESULTS / "run" / "wrk.log").open("a") as fh:
        fh.write(f"=== {tag}\n$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}\n")
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            raw = json.loads(line.removeprefix("BENCH_JSON "))
            break
    else:
        raise SystemExit(f"wrk failed for {tag} (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    secs = raw["duration_us"] / 1e6
    statuses = {int(k): v for k, v in raw["statuses"].items()}
    ok = sum(v for k, v in statuses.items() if 200 <= k < 300)
    return {
        "seconds": round(secs, 3),
        "requests": raw["requests"],
        "ok": ok,
        "ok_rps": ok / secs if secs else 0.0,
        "statuses": dict(sorted(statuses.items())),
        "socket_errors": sum(raw["errors"][k] for k in ("connect", "read", "write", "timeout")),
        "p50_ms": raw["latency_us"]["p50"] / 1000,
        "p99_ms": raw["latency_us"]["p99"] / 1000,
        "max_ms": raw["latency_us"]["max"] / 1000,
    }


QUIET_GIVE_UP = 3  # consecutive waits that found no quiet machine: stop waiting (a busy machine stays busy)
QUIET_MISSES = [0]


def machine_busy_pct(seconds: float) -> float:
    b0, t0 = machine_ticks()
    time.sleep(seconds)
    b1, t1 = machine_ticks()
    return 100.0 * (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0


def wait_for_quiet(args: argparse.Namespace, tag: str) -> None:
    """On a shared machine, wait (at most ``--quiet-wait`` s) until it is at most ``--quiet-below`` % busy."""
    if args.quiet_wait <= 0 or QUIET_MISSES[0] >= QUIET_GIVE_UP:
        return
    deadline = time.monotonic() + args.quiet_wait
    busy = machine_busy_pct(0.5)
    if busy <= args.quiet_below:
        QUIET_MISSES[0] = 0
        return
    while busy > args.quiet_below and time.monotonic() < deadline:
        busy = machine_busy_pct(1.0)
    QUIET_MISSES[0] = 0 if busy <= args.quiet_below else QUIET_MISSES[0] + 1
    log(f"{tag}: waited for a quiet machine ({'quiet' if busy <= args.quiet_below else 'still'} {busy:.0f}% busy)")
    if QUIET_MISSES[0] >= QUIET_GIVE_UP:
        log(f"the machine stayed busy {QUIET_GIVE_UP} times in a row: no more waiting in this run")


def measure(
    server: Server, scenario: str, connections: int, args: argparse.Namespace, tag: str, seconds: float | None = None
) -> dict[str, Any]:
    wait_for_quiet(args, tag)
    if args.warmup > 0:
        run_wrk(server, scenario, args.warmup, connections, args, tag + " warmup")
    meter = Meter(server)
    run = run_wrk(server, scenario, seconds or args.duration, connections, args, tag)
    run.update(meter.stop())
    ok = max(run["ok"], 1)
    run["cpu_ms_per_req"] = round(1000 * (run["app_cpu_s"] + run["db_cpu_s"]) / ok, 3)
    log(
        f"{tag}: {run['ok_rps']:.1f} ok req/s, p50 {run['p50_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms, "
        f"statuses {run['statuses']}, socket errors {run['socket_errors']}, others {run['others_pct']:.0f}%"
    )
    return run


def aggregate(runs: list[dict[str, Any]]) -> dict[str, Any]:
    rps = [r["ok_rps"] for r in runs]
    statuses: Counter[int] = Counter()
    for r in runs:
        statuses.update(r["statuses"])
    ok = sum(r["ok"] for r in runs)
    return {
        "ok_rps": statistics.fmean(rps),
        "ok_rps_runs": [round(x, 1) for x in rps],
        "p50_ms": statistics.fmean(r["p50_ms"] for r in runs),
        "p99_ms": statistics.fmean(r["p99_ms"] for r in runs),
        "errors": sum(n for code, n in statuses.items() if not 200 <= code < 300)
        + sum(r["socket_errors"] for r in runs),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "cpu_ms_per_req": 1000 * sum(r["app_cpu_s"] + r["db_cpu_s"] for r in runs) / max(ok, 1),
        "others_pct_max": max(r["others_pct"] for r in runs),
        "rss_peak_mb": max(r["rss_peak_mb"] for r in runs),
    }


def openloop(server: Server, path_file: Path, rate: float, auth: bool, args: argparse.Namespace) -> dict[str, Any]:
    cmd = ["taskset", "-c", args.client_cpus] if args.client_cpus else []
    cmd += [sys.executable, str(BENCH / "openloop.py"), server.base, "--rate", f"{rate:.1f}"]
    cmd += [
        "--duration",
        f"{args.openloop_duration:g}",
        "--warmup",
        f"{min(args.warmup, 3):g}",
        "--paths",
        str(path_file),
    ]
    if auth:
        cmd += ["--tokens", str(server.dir / "tokens.txt")]
    meter = Meter(server)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    result = meter.stop()
    if proc.returncode:
        raise SystemExit(f"openloop failed: {proc.stderr[-2000:]}")
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "others_pct": result["others_pct"]}


# --------------------------------------------------------------------------- profiles


CATEGORIES = (
    ("psycopg", ("psycopg",)),
    ("SQLAlchemy", ("sqlalchemy",)),
    ("Litestar", ("litestar",)),
    ("msgspec", ("msgspec",)),
    ("argon2", ("argon2",)),
    ("PyJWT", ("/jwt/",)),
    ("uvicorn", ("uvicorn", "httptools", "h11")),
    ("asyncio / uvloop", ("asyncio", "uvloop", "selectors")),
    ("dependency-injector", ("dependency_injector",)),
    ("structlog / logging", ("structlog", "logging")),
    ("prometheus", ("prometheus",)),
    ("app: domain", ("/src/domain/",)),
    ("app: application", ("/src/application/",)),
    ("app: adapters", ("/src/adapters/",)),
    ("app: entrypoints", ("/src/entrypoints/",)),
)


def classify(frame: str) -> str:
    for name, needles in CATEGORIES:
        if any(needle in frame for needle in needles):
            return name
    return "other (stdlib, C, interpreter)"


def summarize_profile(raw: Path) -> dict[str, Any]:
    """Collapsed stacks -> share of samples by package, inclusive (anywhere on the stack) and by leaf."""
    total = 0
    churn = 0  # samples opening or closing a database connection: a pool too small for the concurrency
    inclusive: Counter[str] = Counter()
    leaf_cat: Counter[str] = Counter()
    leaf_fn: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        for cat in {classify(f) for f in frames}:
            if not cat.startswith("other"):
                inclusive[cat] += n
        if any(("_connect_gen" in f or "AsyncConnection.close" in f or "AsyncConnection.connect" in f) for f in frames):
            churn += n
        leaf = frames[-1]
        leaf_fn[leaf] += n
        # the deepest frame that belongs to a named package tells whose work the sample was
        owner = next((c for c in map(classify, reversed(frames)) if not c.startswith("other")), classify(leaf))
        leaf_cat[owner] += n
    if not total:
        return {"samples": 0}

    def share(counter: Counter[str], k: int) -> list[tuple[str, float]]:
        return [(name, round(100 * n / total, 1)) for name, n in counter.most_common(k)]

    return {
        "samples": total,
        "connection_open_close_pct": round(100 * churn / total, 1),
        "self_by_package": share(leaf_cat, 10),
        "inclusive_by_package": share(inclusive, 10),
        "top_leaf_frames": share(leaf_fn, 8),
    }


def profile(server: Server, scenario: str, args: argparse.Namespace) -> dict[str, Any] | None:
    """py-spy (via uvx) on the Athenaeum worker while wrk drives the scenario; not a measured run."""
    uvx = shutil.which("uvx")
    if uvx is None:
        return None
    pids = server.pids()
    worker = max(pids, key=hwm_kib) if pids else None
    if worker is None:
        return None
    out = RESULTS / f"profile-{scenario}.txt"
    seconds = max(3.0, min(args.duration, 8.0))
    cmd = ["taskset", "-c", args.client_cpus] if args.client_cpus else []
    cmd += [uvx, "--from", "py-spy", "py-spy", "record", "--pid", str(worker), "--format", "raw"]
    cmd += ["--rate", "250", "--duration", f"{seconds:g}", "--output", str(out), "--nonblocking"]
    spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)
    run_wrk(server, scenario, seconds, args.connections, args, f"{scenario} profile")
    try:
        _, err = spy.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        spy.kill()
        return None
    if spy.returncode or not out.is_file():
        log(f"py-spy failed for {scenario}: {err.decode()[-300:]}")
        return None
    summary = summarize_profile(out)
    summary["file"] = str(out.relative_to(ROOT))
    return summary


# --------------------------------------------------------------------------- login


def time_hashers(memory_kib: int, time_cost: int) -> dict[str, float]:
    from argon2 import PasswordHasher

    hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=1)
    stored = hasher.hash(PASSWORD)

    def best(fn: Any, n: int) -> float:
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    argon_s = best(lambda: hasher.verify(stored, PASSWORD), 5)
    pbkdf2_s = best(lambda: hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), b"saltsaltsalt", 1_000_000), 3)
    return {"argon2_ms": argon_s * 1000, "pbkdf2_ms": pbkdf2_s * 1000}


def set_athenaeum_hash(db: str, memory_kib: int, time_cost: int) -> None:
    from argon2 import PasswordHasher

    stored = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=1).hash(PASSWORD)
    with psycopg.connect(f"{PG}/{db}") as conn:
        conn.execute("UPDATE users SET password_hash = %s", (stored,))


# --------------------------------------------------------------------------- main


def geomean(values: list[float]) -> float:
    values = [v for v in values if v > 0]
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else float("nan")


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    if not shutil.which(args.wrk):
        log("wrk not found; installing it with apt-get")
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
    shutil.rmtree(RESULTS / "run", ignore_errors=True)
    (RESULTS / "run").mkdir(parents=True)
    started = time.monotonic()
    facts = machine_facts(args)
    log(f"machine: {facts['nproc']} CPUs, {facts['cpu']}, load {facts['loadavg_start']}")
    for db in (args.athenaeum_db, args.ceiling_db, args.peer_db):
        ensure_database(db)
    log("setting up the DRF peer (venv, migrate)")
    setup_peer(args)
    reseed_all(args)
    secret = secrets.token_urlsafe(48)
    servers = build_servers(args, secret)
    ath, drf, ceil = servers["athenaeum"], servers["drf"], servers["ceiling"]
    with psycopg.connect(f"{PG}/{args.athenaeum_db}") as conn:
        book_ids = [row[0] for row in conn.execute("SELECT id FROM books ORDER BY id").fetchall()]
    with psycopg.connect(f"{PG}/{args.peer_db}") as conn:
        peer_book_ids = [row[0] for row in conn.execute("SELECT id FROM catalog_book ORDER BY id").fetchall()]
    report: dict[str, Any] = {"machine": facts, "settings": settings_of(args), "results": {}, "profiles": {}}
    report["athenaeum_env"] = {
        k: v for k, v in servers["athenaeum"].env.items() if k.startswith("ATHENAEUM_") and "SECRET" not in k
    }
    load_samples: list[float] = []
    try:
        for server in servers.values():
            server.start()
        ath.write_data(book_ids, args.login_users)
        ceil.write_data(book_ids, args.login_users)
        drf.write_data(peer_book_ids, args.login_users)

        def login_everyone() -> None:
            t0 = time.monotonic()
            ath.login_all(args.login_users)
            ceil.use_tokens(ath.tokens)  # the same secret, the same user ids (seeded alike)
            drf.login_all(args.login_users)
            for server in (ath, ceil, drf):
                server.after_logins()
            log(f"logged in {args.login_users} users per side in {time.monotonic() - t0:.1f}s")

        def ensure_tokens() -> None:
            """Reseeding restarts the ids (TRUNCATE ... RESTART IDENTITY), so tokens usually survive it."""
            for server in (ath, drf):
                for token in (server.tokens[0], server.tokens[-1]):
                    if server.http("GET", "/api/users/me", token=token)[0] != 200:
                        log(f"{server.name}: tokens no longer accepted after the reseed; logging in again")
                        login_everyone()
                        return

        login_everyone()
        for server in servers.values():
            problems = server.smoke(args.scenario_list)
            for problem in problems:
                log(f"{server.name} contract check: {problem}")
            if problems and server.name != "ceiling":
                raise SystemExit(f"{server.name} failed the contract check; see above")
        # the smoke requests wrote one reading session and one borrowing per side; the reads do not mind,
        # and every writing scenario after the first write starts from a fresh seed
        wrote = False

        for sc in args.scenario_list:
            if SCENARIOS[sc]["kind"] == "write":
                if wrote:
                    reseed_all(args)
                    ensure_tokens()
                wrote = True
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
            for rnd in range(args.rounds):
                for server in (ath, drf, ceil):
                    load_samples.append(os.getloadavg()[0])
                    runs[server.name].append(
                        measure(server, sc, args.connections, args, f"{sc} {server.name} round {rnd + 1}")
                    )
            entry: dict[str, Any] = {name: {"runs": r, "agg": aggregate(r)} for name, r in runs.items()}
            if sc == "borrowings":
                entry["oversold"] = {
                    "athenaeum": oversold(args.athenaeum_db, "athenaeum"),
                    "drf": oversold(args.peer_db, "drf"),
                    "ceiling": oversold(args.ceiling_db, "athenaeum"),
                }
                log(f"oversold check: {entry['oversold']}")
            report["results"][sc] = entry

        # open loop at 80 % of DRF's max rate
        report["openloop"] = {}
        for sc in args.openloop_list:
            if sc not in report["results"]:
                continue
            rate = 0.8 * report["results"][sc]["drf"]["agg"]["ok_rps"]
            entry = {"rate": rate}
            for server, ids in ((ath, book_ids), (drf, peer_book_ids)):
                paths = server.dir / f"openloop-{sc}.txt"
                if sc == "book_detail":
                    paths.write_text("\n".join(f"/api/books/{i}" for i in ids) + "\n")
                elif sc == "books_list":
                    paths.write_text("/api/books?limit=20&offset=0\n")
                else:
                    paths.write_text("/api/users/me\n")
                load_samples.append(os.getloadavg()[0])
                entry[server.name] = openloop(server, paths, rate, SCENARIOS[sc]["auth"], args)
                log(f"open loop {sc} {server.name} at {rate:.0f}/s: {entry[server.name]}")
            report["openloop"][sc] = entry

        # profiles where a target is missed
        verdicts = evaluate(report)
        missed = sorted({v["scenario"] for v in verdicts if not v["met"] and v.get("scenario") in SCENARIOS})
        if args.profile:
            for sc in set(args.scenario_list) - set(missed):  # an earlier run's profile of a target now met
                (RESULTS / f"profile-{sc}.txt").unlink(missing_ok=True)
            for sc in missed:  # no reseed: a profile's shares do not depend on the rows the runs left
                summary = profile(ath, sc, args)
                if summary:
                    report["profiles"][sc] = summary
                    log(f"profile {sc}: {summary.get('self_by_package')}")
        ath.note_peak()
        report["rss"] = {
            "athenaeum_worker_peak_mb": round(max(ath.peak_kib.values(), default=0) / 1024, 1),
            "athenaeum_worker_login_peak_mb": round(max(ath.login_peak_kib.values(), default=0) / 1024, 1),
            "athenaeum_peak_excludes_logins": ath.peak_reset,
            "athenaeum_processes": len(ath.peak_kib),
            "drf_worker_peak_mb": round(max(drf.peak_kib.values(), default=0) / 1024, 1),
            "ceiling_peak_mb": round(max(ceil.peak_kib.values(), default=0) / 1024, 1),
        }

        # login, apart
        if args.login:
            report["login"] = run_login(args, ath, drf)
    finally:
        for server in servers.values():
            server.stop()
    if args.floor:
        report["floor"] = run_floor(args, book_ids)
    if args.socketio:
        report["socketio"] = run_socketio(args)
        report["socketio_floor"] = run_socketio(args, floor=True)
    report["machine"]["loadavg_end"] = os.getloadavg()
    report["machine"]["loadavg_1min_during"] = {
        "min": min(load_samples, default=0.0),
        "max": max(load_samples, default=0.0),
        "mean": statistics.fmean(load_samples) if load_samples else 0.0,
    }
    report["elapsed_s"] = round(time.monotonic() - started, 1)
    report["verdicts"] = evaluate(report)
    return report


FLOOR_APPS = (("bare", "bare ASGI", "floor:bare"), ("litestar", "Litestar, one handler", "floor:litestar_app"))


def run_floor(args: argparse.Namespace, book_ids: list[int]) -> dict[str, Any]:
    """bench/floor.py: a bare ASGI app and a one-handler Litestar app answering a book detail
    from constants (no database), served and loaded exactly as the ceiling app is, in turns."""
    pin = ["taskset", "-c", args.server_cpus] if args.server_cpus else []
    python = str(Path(sys.executable).parent / "python")
    servers = []
    for offset, (name, label, target) in enumerate(FLOOR_APPS, start=3):
        port = args.port_base + offset
        cmd = [*pin, python, "-m", "uvicorn", "--app-dir", str(BENCH), target, "--port", str(port)]
        cmd += ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
        servers.append(Server(f"floor-{name}", label, port, "-", cmd, dict(os.environ)))
    runs: dict[str, list[dict[str, Any]]] = {server.name: [] for server in servers}
    try:
        for server in servers:
            server.start()
            server.write_data(book_ids, 0)
        for rnd in range(args.rounds):
            for server in servers:
                runs[server.name].append(
                    measure(server, "book_detail", args.connections, args, f"{server.name} round {rnd + 1}")
                )
    finally:
        for server in servers:
            server.stop()
    return {
        name: {"label": label, "agg": aggregate(runs[f"floor-{name}"]), "app_ms_per_req": app_ms(runs[f"floor-{name}"])}
        for name, label, _ in FLOOR_APPS
    }


def app_ms(runs: list[dict[str, Any]]) -> float:
    """CPU ms per 2xx response of the serving process alone (its Postgres backends left out)."""
    return 1000 * sum(r["app_cpu_s"] for r in runs) / max(sum(r["ok"] for r in runs), 1)


def run_login(args: argparse.Namespace, ath: Server, drf: Server) -> dict[str, Any]:
    memory, default_t = 19_456, 2
    times = time_hashers(memory, default_t)
    equal_t = max(default_t, round(default_t * times["pbkdf2_ms"] / times["argon2_ms"]))
    equal = time_hashers(memory, equal_t)
    out: dict[str, Any] = {
        "hash_ms": {
            "athenaeum_default": round(times["argon2_ms"], 1),
            "drf_default": round(times["pbkdf2_ms"], 1),
            "athenaeum_equal": round(equal["argon2_ms"], 1),
        },
        "athenaeum_default_params": f"argon2id m={memory} KiB, t={default_t}, p=1",
        "drf_default_params": "PBKDF2-SHA256, 1,000,000 iterations",
        "athenaeum_equal_params": f"argon2id m={memory} KiB, t={equal_t}, p=1",
    }
    runs: dict[str, list[dict[str, Any]]] = {"athenaeum_default": [], "drf_default": [], "athenaeum_equal": []}
    for rnd in range(args.rounds):
        for name, server in (("athenaeum_default", ath), ("drf_default", drf)):
            tag = f"login {name} round {rnd + 1}"
            runs[name].append(measure(server, "login", args.login_connections, args, tag, args.login_duration))
    ath.stop()
    ath.env["ATHENAEUM_PASSWORD_TIME_COST"] = str(equal_t)
    ath.env["ATHENAEUM_PASSWORD_MEMORY_KIB"] = str(memory)
    set_athenaeum_hash(args.athenaeum_db, memory, equal_t)
    ath.start()
    for rnd in range(args.rounds):
        tag = f"login athenaeum_equal round {rnd + 1}"
        runs["athenaeum_equal"].append(measure(ath, "login", args.login_connections, args, tag, args.login_duration))
    out["runs"] = {name: {"runs": r, "agg": aggregate(r)} for name, r in runs.items()}
    return out


def _sio_client(sio: dict[str, Any]) -> str:
    if sio.get("client", "python-socketio") == "lean":
        return (
            "the clients are `bench/sio_client.py`, a lean Socket.IO protocol client, because python-socketio's"
            " AsyncClient cost more CPU per delivery than the server and limited what was measured"
        )
    return "the clients are python-socketio's AsyncClient"


def _socketio_floor_lines(sio: dict[str, Any], floor: dict[str, Any] | None) -> list[str]:
    """What python-socketio alone delivers (bench/sio_floor.py), against Athenaeum's direct messages."""
    if not floor:
        return []
    if "error" in floor or "direct" not in floor:
        return ["", f"The Socket.IO floor (bench/sio_floor.py) failed: {floor.get('error', 'no direct run')}"]
    bare, ours = floor["direct"]["max"], sio.get("direct", {}).get("max")
    line = (
        "The floor, in the same run: `bench/sio_floor.py` is python-socketio on uvicorn with the same `/chat`"
        " events, acknowledgements and payloads and nothing else (no database, no token check, no validation,"
        " rate limit, metrics or logging; the library's stock client manager). With the same clients on the"
        f" same cores it delivers {bare['delivered_per_s']:,.0f} direct messages/s closed loop, at"
        f" {bare['server_cpu_ms_per_msg']:.3f} ms of server CPU a message: the stack alone reaches"
        f" {bare['delivered_per_s'] / 10_000:.0%} of the 10,000/s direct-message target. One process on one core"
        " meets that target only at 0.100 ms of CPU a message or less,"
        f" {bare['server_cpu_ms_per_msg'] / 0.1:.1f}x less than python-socketio and uvicorn spend here before any"
        " application code runs."
    )
    if ours:
        line += (
            f" Athenaeum: {ours['delivered_per_s']:,.0f}/s at {ours['server_cpu_ms_per_msg']:.3f} ms, of which"
            f" {ours['server_cpu_ms_per_msg'] - bare['server_cpu_ms_per_msg']:.3f} ms is its own (the statement"
            " and the unit of work around it, payload validation, the per-socket rate limit, the use case)."
        )
    return ["", line]


def run_socketio(args: argparse.Namespace, *, floor: bool = False) -> dict[str, Any]:
    """Athenaeum's chat, or (``floor``) bench/sio_floor.py's direct messages: the same events on
    python-socketio with no database, what the stack alone delivers on the same core."""
    ensure_database(args.socketio_db)
    cmd = [sys.executable, str(BENCH / "socketio_bench.py"), "--json"]
    cmd += ["--database-url", f"postgresql+psycopg://postgres@127.0.0.1:5432/{args.socketio_db}"]
    cmd += ["--server-cpus", args.server_cpus, "--client-cpus", args.client_cpus]
    cmd += ["--duration", f"{args.socketio_duration:g}"]
    if floor:
        cmd += ["--app", "floor", "--mode", "direct"]
    elif args.profile:
        cmd += ["--profile-dir", str(RESULTS)]
    log(f"Socket.IO benchmark{' (floor)' if floor else ''}: " + " ".join(cmd[1:]))
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    (RESULTS / "run" / f"socketio{'-floor' if floor else ''}.log").write_text(proc.stdout + proc.stderr)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            result = json.loads(line)
            for mode in ("direct", "room"):
                raw = RESULTS / f"profile-socketio-{mode}.txt"
                if mode in result and raw.is_file() and raw.stat().st_mtime > time.time() - 600:
                    result[mode]["profile"] = {**summarize_profile(raw), "file": str(raw.relative_to(ROOT))}
            return result
    log(f"Socket.IO benchmark failed (rc={proc.returncode}): {proc.stderr[-1500:]}")
    return {"error": f"exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ''}"}


def settings_of(args: argparse.Namespace) -> dict[str, Any]:
    keep = (
        "quick",
        "dev_env",
        "rounds",
        "warmup",
        "duration",
        "connections",
        "login_connections",
        "drf_workers",
        "server_cpus",
        "client_cpus",
        "books",
        "users",
        "login_users",
        "pending_rule",
        "openloop_duration",
        "login_duration",
        "quiet_wait",
        "quiet_below",
    )
    # The pools as they are when the run starts (Athenaeum's defaults, the ceiling's size).
    sys.path.insert(0, str(ROOT / "src"))
    import ceiling

    from entrypoints.settings import Settings

    fields = Settings.__struct_fields__
    defaults = dict(
        zip(fields[len(fields) - len(Settings.__struct_defaults__) :], Settings.__struct_defaults__, strict=True)
    )
    pools = {
        "athenaeum_pool": f"{defaults['db_pool_size']} + {defaults['db_max_overflow']} overflow",
        "ceiling_pool": ceiling.POOL_SIZE,
    }
    return {**{k: getattr(args, k) for k in keep}, **pools}


# --------------------------------------------------------------------------- verdicts and report


def evaluate(report: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for sc, entry in report.get("results", {}).items():
        ath, drf, ceil = (entry[n]["agg"]["ok_rps"] for n in ("athenaeum", "drf", "ceiling"))
        ratio = ath / drf if drf else float("nan")
        if SCENARIOS[sc]["kind"] == "read":
            out.append(_verdict(sc, f"{sc}: ≥ {TARGET_READ_X:g}× DRF", ratio, TARGET_READ_X, "×"))
            share = ath / ceil if ceil else float("nan")
            out.append(_verdict(sc, f"{sc}: ≥ {TARGET_READ_CEIL:.0%} of ceiling", share, TARGET_READ_CEIL, "%"))
        else:
            out.append(_verdict(sc, f"{sc}: ≥ {TARGET_WRITE_X:g}× DRF", ratio, TARGET_WRITE_X, "×"))
        if "oversold" in entry:
            bad = sum(v["negative_inventory_books"] + v["mismatched_books"] for v in entry["oversold"].values())
            out.append({"target": "borrowings: no oversold copy", "met": bad == 0, "value": f"{bad} books off"})
    for sc, entry in report.get("openloop", {}).items():
        a, d = entry["athenaeum"]["p99_ms"], entry["drf"]["p99_ms"]
        share = a / d if d else float("nan")
        v = _verdict(sc, f"{sc}: p99 at 80% of DRF max ≤ 1/3 of DRF's", share, TARGET_P99_SHARE, "share", higher=False)
        out.append(v)
    if "rss" in report:
        mb = report["rss"]["athenaeum_worker_peak_mb"]
        out.append(
            {
                "target": f"Athenaeum worker peak RSS under the load ≤ {TARGET_RSS_MB:g} MB",
                "met": mb <= TARGET_RSS_MB,
                "value": f"{mb:.0f} MB",
                "by": f"{(mb - TARGET_RSS_MB):+.0f} MB",
            }
        )
    sio = report.get("socketio") or {}
    for mode, label in (("direct", "direct messages"), ("room", "room fan-out")):
        if mode not in sio:
            continue
        best, paced = sio[mode]["max"], sio[mode]["paced"]
        rate = best["delivered_per_s"]
        out.append(
            {
                "target": f"Socket.IO {label}: ≥ {TARGET_SIO_RATE:,.0f} msgs/s delivered (100 clients)",
                "met": rate >= TARGET_SIO_RATE,
                "value": f"{rate:,.0f}/s",
                "by": f"{rate / TARGET_SIO_RATE:.0%} of target",
            }
        )
        p99 = paced["delivery_p99_ms"]
        out.append(
            {
                "target": f"Socket.IO {label}: p99 < {TARGET_SIO_P99_MS:g} ms at {TARGET_SIO_RATE:,.0f}/s",
                "met": p99 < TARGET_SIO_P99_MS and paced["rate"] >= TARGET_SIO_RATE,
                "value": f"p99 {p99:.1f} ms at {paced['rate']:,.0f}/s offered",
                "by": f"{p99 - TARGET_SIO_P99_MS:+.1f} ms"
                + ("" if paced["rate"] >= TARGET_SIO_RATE else " (the target rate was out of reach)"),
            }
        )
    return out


def _verdict(sc: str, target: str, value: float, goal: float, unit: str, *, higher: bool = True) -> dict[str, Any]:
    met = value >= goal if higher else value <= goal
    if unit == "×":
        text, by = f"{value:.2f}×", f"{value / goal:.0%} of target"
    elif unit == "%":
        text, by = f"{value:.0%}", f"{(value - goal) * 100:+.0f} points"
    else:
        text, by = f"{value:.2f} of DRF's", f"{value / goal:.0%} of the allowed share"
    return {"scenario": sc, "target": target, "met": met, "value": text, "by": by}


def fmt(x: float) -> str:
    if x != x:  # noqa: PLR0124 - NaN
        return "-"
    return f"{x:.1f}" if x < 100 else f"{x:,.0f}"


def render(report: dict[str, Any]) -> str:
    m, s = report["machine"], report["settings"]
    lines = [
        "# Benchmarks",
        "",
        "Every figure below was produced by one run of the harness; nothing is typed in by hand.",
        "Re-render this file from `bench/results/latest.json` with `just bench --render`.",
        "",
        "## How it was run",
        "",
        f"- command: `just bench{' --quick' if s['quick'] else ''}` (`uv run --frozen python {m['command']}`),"
        f" {m['date_utc']} UTC, commit `{m['git_commit']}`, {report['elapsed_s']:.0f} s",
        f"- {s['rounds']} round(s) per endpoint, servers in turn (Athenaeum, DRF, ceiling, Athenaeum, …);"
        f" each run = {s['warmup']:g} s warmup (discarded) + {s['duration']:g} s measured; wrk with 1 thread,"
        f" {s['connections']} connections (login: {s['login_connections']})",
        f"- data: {s['books']:,} books (inventory {INVENTORY:,} each), {s['users']:,} users, 10 closed reading sessions"
        " per user; the reads and the first writing scenario run on the initial seed, every later writing scenario"
        f" on a fresh one (all three databases reseeded); {s['login_users']} users logged in per side",
        (
            f"- shared machine: before each run the harness waited up to {s.get('quiet_wait', 0):g} s for the machine"
            f" to be at most {s.get('quiet_below', 0):g} % busy"
            if s.get("quiet_wait")
            else "- no wait for a quiet machine before the runs (`--quick`)"
        ),
        f"- pinning: servers on CPU {s['server_cpus'] or '-'}, load generator on CPU {s['client_cpus'] or '-'},"
        " Postgres not pinned (this machine has only 2 cores, so Postgres shares them with both)",
        "- Athenaeum: `athenaeum serve --workers 1` (its production path)"
        + (
            ", from the development environment (`--dev-env`)"
            if s.get("dev_env")
            else ", installed as deployed (`uv sync --frozen --no-dev` into var/bench-venv)"
        )
        + ", Postgres, log level warning,"
        " scheduler off, auth rate limit lifted (the peer has none), access tokens valid 120 min; every other"
        f" setting at its default (database pool: {s.get('athenaeum_pool', '10 + 10 overflow')}); environment: "
        + ", ".join(
            f"`{k}={v}`" for k, v in report.get("athenaeum_env", {}).items() if not k.endswith(("_DIR", "DATABASE_URL"))
        ),
        f"- DRF baseline: `shared/peers/drf/serve.sh PORT {s['drf_workers']}` (gunicorn, {s['drf_workers']} sync"
        " workers, DEBUG off, persistent connections)",
        "- ceiling: `bench/ceiling.py` — a bare ASGI callable on uvicorn (uvloop + httptools, 1 process),"
        f" psycopg pool of {s.get('ceiling_pool', 10)}, msgspec JSON, issuing the SQL statements Athenaeum"
        " issues for each endpoint, in the same transactions, on its own copy of the data (statements"
        " captured from Athenaeum with `log_statement = all`: when Athenaeum's queries change, the"
        " ceiling's must follow)",
        f"- pending-payment rule: {'ON' if s['pending_rule'] else 'OFF'} on both sides"
        " (`ATHENAEUM_UNPAID_BLOCKS_BORROWING`, `PEER_PENDING_PAYMENT_RULE`), so that every borrowing"
        " request takes the write path instead of the 409 a user gets after their first borrowing",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {m['nproc']} × {m['cpu']} |",
        f"| RAM | {m['ram_gib']} GiB |",
        f"| kernel / OS | {m['kernel']} / {m['os']} |",
        f"| PostgreSQL | {m['postgres']} ({', '.join(f'{k} {v}' for k, v in m['postgres_settings'].items())}) |",
        f"| Python | {m['python']} |",
        "| Athenaeum packages | " + ", ".join(f"{k} {v}" for k, v in m["athenaeum_packages"].items()) + " |",
        "| DRF peer packages | " + ", ".join(f"{k} {v}" for k, v in m["peer_packages"].items()) + " |",
        f"| load generator | {m['wrk']}; open loop: bench/openloop.py |",
    ]
    during = m.get("loadavg_1min_during", {})
    others = [
        r["others_pct"]
        for e in report["results"].values()
        for n in ("athenaeum", "drf", "ceiling")
        for r in e[n]["runs"]
    ]
    lines += [
        f"| other load on the machine | 1-min load average {m['loadavg_start'][0]:.2f} at start,"
        f" {during.get('min', 0):.2f}–{during.get('max', 0):.2f} during (mean {during.get('mean', 0):.2f}),"
        f" {m.get('loadavg_end', [0])[0]:.2f} at end; CPU share of the machine used by unrelated processes during"
        f" measured runs: median {statistics.median(others) if others else 0:.0f} %,"
        f" max {max(others, default=0):.0f} % |",
        "",
        "The machine is shared; the 'others %' column is the share of both cores that processes other than the"
        " server under test, its Postgres backends and the load generator used during that run. Compare ratios"
        " within this run, not absolute figures across runs.",
        "",
        "## Throughput and latency (closed loop, wrk)",
        "",
        "| endpoint | Athenaeum req/s | DRF req/s | ceiling req/s | Athenaeum/DRF | % of ceiling"
        " | p50 ms A / D / C | p99 ms A / D / C | errors A / D / C | CPU ms/req A / D / C | others % |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    ratios = []
    for sc, e in report["results"].items():
        a, d, c = e["athenaeum"]["agg"], e["drf"]["agg"], e["ceiling"]["agg"]
        ratio = a["ok_rps"] / d["ok_rps"] if d["ok_rps"] else float("nan")
        ratios.append(ratio)
        ceil = a["ok_rps"] / c["ok_rps"] if c["ok_rps"] else float("nan")
        lines.append(
            f"| {SCENARIOS[sc]['label']} | {fmt(a['ok_rps'])} | {fmt(d['ok_rps'])} | {fmt(c['ok_rps'])} | {ratio:.2f}×"
            f" | {ceil:.0%} | {fmt(a['p50_ms'])} / {fmt(d['p50_ms'])} / {fmt(c['p50_ms'])}"
            f" | {fmt(a['p99_ms'])} / {fmt(d['p99_ms'])} / {fmt(c['p99_ms'])}"
            f" | {a['errors']} / {d['errors']} / {c['errors']}"
            f" | {a['cpu_ms_per_req']:.2f} / {d['cpu_ms_per_req']:.2f} / {c['cpu_ms_per_req']:.2f}"
            f" | {max(a['others_pct_max'], d['others_pct_max'], c['others_pct_max']):.0f} |"
        )
    lines += [
        "",
        f"Geometric mean of Athenaeum/DRF over these endpoints: **{geomean(ratios):.2f}×**.",
        "",
        "req/s counts 2xx responses only, mean over rounds; p50/p99 are wrk's, mean over rounds; CPU ms/req is"
        " the CPU time of the server's processes plus its Postgres backends per 2xx response.",
        "",
    ]
    if "borrowings" in report["results"] and "oversold" in report["results"]["borrowings"]:
        lines += [
            "Inventory after the borrowing runs (inventory + active borrowings must equal the seeded"
            f" {INVENTORY:,} for every book):",
            "",
        ]
        for name, v in report["results"]["borrowings"]["oversold"].items():
            lines.append(
                f"- {name}: {v['active_borrowings']:,} active borrowings, {v['mismatched_books']} books off,"
                f" {v['negative_inventory_books']} with negative inventory"
            )
        lines.append("")
    lines += [
        "Per run:",
        "",
        "| endpoint | server | req/s per round | statuses | peak RSS MB |",
        "|---|---|---|---|---|",
    ]
    for sc, e in report["results"].items():
        for name in ("athenaeum", "drf", "ceiling"):
            agg = e[name]["agg"]
            sts = " ".join(f"{k}:{v}" for k, v in agg["statuses"].items())
            lines.append(
                f"| {sc} | {name} | {', '.join(map(str, agg['ok_rps_runs']))} | {sts} | {agg['rss_peak_mb']:.0f} |"
            )
    lines += ["", "## p99 at 80 % of DRF's maximum rate (open loop)", ""]
    if report.get("openloop"):
        lines += [
            "bench/openloop.py sends at a fixed rate (80 % of DRF's closed-loop req/s for that endpoint) over 64"
            " keep-alive connections and measures latency from each request's scheduled time (no coordinated"
            " omission). 'gen lag p99' is the generator's own lateness: it must stay far below the p99s for them"
            " to be the server's.",
            "",
            "| endpoint | rate req/s | Athenaeum p50 / p99 ms | DRF p50 / p99 ms | Athenaeum p99 / DRF p99"
            " | completed A / D | errors A / D | gen lag p99 ms A / D |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for sc, e in report["openloop"].items():
            a, d = e["athenaeum"], e["drf"]
            lines.append(
                f"| {SCENARIOS[sc]['label']} | {e['rate']:.0f} | {fmt(a['p50_ms'])} / {fmt(a['p99_ms'])}"
                f" | {fmt(d['p50_ms'])} / {fmt(d['p99_ms'])} | {a['p99_ms'] / d['p99_ms']:.2f}"
                f" | {a['completed']}/{a['scheduled']} / {d['completed']}/{d['scheduled']}"
                f" | {a['errors'] + a['scheduled'] - a['ok']} / {d['errors'] + d['scheduled'] - d['ok']}"
                f" | {a['send_lag_p99_ms']:.1f} / {d['send_lag_p99_ms']:.1f} |"
            )
        lines.append("")
    if "rss" in report:
        r = report["rss"]
        lines += [
            "## Memory",
            "",
            "Peak RSS (VmHWM) of the Athenaeum worker under the endpoints' load:"
            f" **{r['athenaeum_worker_peak_mb']:.0f} MB**"
            f" ({r['athenaeum_processes']} process(es) in its tree; the largest is reported)."
            f" DRF: largest gunicorn process {r['drf_worker_peak_mb']:.0f} MB;"
            f" ceiling app {r['ceiling_peak_mb']:.0f} MB.",
            "",
        ]
        if "athenaeum_worker_login_peak_mb" in r:
            if r.get("athenaeum_peak_excludes_logins"):
                how = "the figure above starts after them (VmHWM restarted through `/proc/PID/clear_refs`)"
            else:
                how = "VmHWM could not be restarted here, so the figure above includes them"
            lines += [
                f"Logins are reported apart, their memory too: start-up plus the burst of"
                f" {report['settings']['login_users']} logins before the runs peaked at"
                f" {r['athenaeum_worker_login_peak_mb']:.0f} MB (each argon2id hash in flight holds its 19 MiB;"
                f" at most one per CPU runs at a time); {how}.",
                "",
            ]
    if report.get("login"):
        lg = report["login"]
        lines += [
            "## Login (reported apart: password hashing dominates)",
            "",
            f"One hash on this machine: Athenaeum default ({lg['athenaeum_default_params']})"
            f" {lg['hash_ms']['athenaeum_default']:.0f} ms; DRF default ({lg['drf_default_params']})"
            f" {lg['hash_ms']['drf_default']:.0f} ms; Athenaeum at equal cost ({lg['athenaeum_equal_params']},"
            " time cost raised until one hash costs what DRF's does) "
            f"{lg['hash_ms']['athenaeum_equal']:.0f} ms. {s['login_connections']} connections,"
            f" {s.get('login_duration', s['duration']):g} s measured per run.",
            "",
            "| configuration | req/s | p50 ms | p99 ms | errors | vs DRF default |",
            "|---|---|---|---|---|---|",
        ]
        drf_rps = lg["runs"]["drf_default"]["agg"]["ok_rps"]
        for name, label in (
            ("athenaeum_default", "Athenaeum, default argon2id"),
            ("drf_default", "DRF, default PBKDF2"),
            ("athenaeum_equal", "Athenaeum, argon2id at DRF's cost"),
        ):
            a = lg["runs"][name]["agg"]
            lines.append(
                f"| {label} | {fmt(a['ok_rps'])} | {fmt(a['p50_ms'])} | {fmt(a['p99_ms'])} | {a['errors']}"
                f" | {a['ok_rps'] / drf_rps:.2f}× |"
            )
        lines.append("")
    sio = report.get("socketio")
    if sio:
        lines += ["## Socket.IO (bench/socketio_bench.py, `just bench-socketio`)", ""]
        if "error" in sio:
            lines += [f"The Socket.IO benchmark failed: {sio['error']}", ""]
        else:
            lines += [
                "One Athenaeum process (uvicorn, as `athenaeum serve` runs it,"
                f" pinned to CPU {s['server_cpus'] or '-'}),"
                f" {sio['clients']} clients connected over websocket to `/chat` from one client process (CPU"
                f" {s['client_cpus'] or '-'}; {_sio_client(sio)}), {sio['backend']}; every message is stored,"
                " committed and pushed as in production. 'direct': `send` to one random other user (1 delivery per"
                " message); 'room': all"
                f" clients in the lobby, `send_room` reaches all {sio['clients']} (the sender's connection included)."
                f" 'max' = closed loop, {sio['senders']} senders x {sio['window']} in flight, {sio['duration_s']:g} s;"
                " 'paced' = messages offered at a fixed rate (10,000 deliveries/s, or 80 % of the max run's rate when"
                " lower), latency counted from each message's scheduled time.",
                "",
                "| mode | run | offered deliveries/s | delivered msgs/s | delivery p50 / p99 ms | ack p99 ms"
                " | delivered / expected | errors | server CPU ms/delivery (kernel's share) | client CPU ms/delivery |",
                "|---|---|---|---|---|---|---|---|---|---|",
            ]
            for mode in ("direct", "room"):
                for name in ("max", "paced"):
                    r = sio.get(mode, {}).get(name)
                    if not r:
                        continue
                    offered = "closed loop" if name == "max" else f"{r['rate']:,.0f}"
                    share = r.get("server_kernel_share")  # absent from results recorded before it was measured
                    kernel = "" if share is None else f" ({share:.0%})"
                    lines.append(
                        f"| {mode} | {name} | {offered} | {r['delivered_per_s']:,.0f} | {r['delivery_p50_ms']:.1f} /"
                        f" {r['delivery_p99_ms']:.1f} | {r['ack_p99_ms']:.1f} | {r['delivered']} / {r['expected']}"
                        f" | {r['send_errors']} | {r['server_cpu_ms_per_msg']:.3f}{kernel}"
                        f" | {r['client_cpu_ms_per_msg']:.3f} |"
                    )
            for mode in ("direct", "room"):
                prof = sio.get(mode, {}).get("profile")
                if prof and prof.get("samples"):
                    lines += [
                        "",
                        f"py-spy of the server during the {mode} max run ({prof['samples']} samples, `{prof['file']}`):"
                        " self: " + ", ".join(f"{n} {v:.0f} %" for n, v in prof["self_by_package"][:6]) + ";"
                        " top leaf frames: " + "; ".join(f"`{n}` {v:.0f} %" for n, v in prof["top_leaf_frames"][:4]),
                    ]
            lines += _socketio_floor_lines(sio, report.get("socketio_floor"))
            lines += [
                "",
                f"The client process ({sio.get('client', 'python-socketio')} client, one core) has its own limit: when"
                " its CPU per delivery times the rate nears one core, the figures are the client's, not the server's."
                " In the paced runs the server spends more CPU per delivery than in the max runs (table above): at a"
                " fixed rate each message wakes every recipient socket's Engine.IO writer task on its own, where at"
                " saturation one wake-up sends several queued packets. The kernel's share of the server's CPU is"
                " lower when paced (table above), so the extra is the interpreter's; a profile of the two phases"
                " apart, and an experiment on Engine.IO's wake-up, are in the README's Socket.IO section.",
                "",
            ]
    floor = report.get("floor")
    if floor:
        bare, lite = floor["bare"], floor["litestar"]
        framework = lite["app_ms_per_req"] - bare["app_ms_per_req"]
        lines += [
            "## The framework's floor (bench/floor.py)",
            "",
            "Two apps answer `GET /api/books/{id}` with a book-detail-shaped body built from constants (no"
            " database), served and loaded exactly as the ceiling app is (uvicorn, uvloop, httptools, one"
            " process on CPU 0, wrk with the same connections, in turns). CPU is the serving process's.",
            "",
            "| app | req/s | p99 ms | CPU ms/req |",
            "|---|---|---|---|",
        ]
        for app in (bare, lite):
            agg = app["agg"]
            lines.append(
                f"| {app['label']} | {fmt(agg['ok_rps'])} | {fmt(agg['p99_ms'])} | {app['app_ms_per_req']:.3f} |"
            )
        lines += [
            "",
            f"Litestar's own cost per request on this machine: **{framework:.3f} ms** of CPU (routing, the"
            " handler's signature model, the response object, the exception middleware). Any Litestar app"
            " pays it on top of the work the ceiling app does, so for the reads the ceiling target asks for"
            " less than that margin. Per read, CPU ms of the serving process alone (its Postgres backends"
            " left out):",
            "",
            "| endpoint | Athenaeum | ceiling | Litestar floor | Athenaeum beyond ceiling + floor"
            " | % of ceiling, measured | % of ceiling for a Litestar app adding nothing (est.) |",
            "|---|---|---|---|---|---|---|",
        ]
        for sc in ("books_list", "book_detail", "users_me"):
            e = report["results"].get(sc)
            if not e:
                continue
            a, c = app_ms(e["athenaeum"]["runs"]), app_ms(e["ceiling"]["runs"])
            measured = e["athenaeum"]["agg"]["ok_rps"] / e["ceiling"]["agg"]["ok_rps"]
            lines.append(
                f"| {SCENARIOS[sc]['label']} | {a:.3f} | {c:.3f} | {framework:.3f} | {a - c - framework:.3f}"
                f" | {measured:.0%} | {c / (c + framework):.0%} |"
            )
        lines += [
            "",
            "The estimate assumes req/s scales with the serving process's CPU per request (each server is"
            " CPU-bound on its core). 'Beyond ceiling + floor' is Athenaeum's own layers: the container and"
            " Litestar dependencies that build the use case, the unit of work (SQLAlchemy's pool checkout"
            " and return, its Connection objects), the repository and `HotStatement` around the psycopg call, the"
            " response struct, the request-id and metrics middleware.",
            "",
        ]
    lines += ["## Targets", "", "| target | value | met | by |", "|---|---|---|---|"]
    for v in report["verdicts"]:
        lines.append(f"| {v['target']} | {v['value']} | {'yes' if v['met'] else '**no**'} | {v.get('by', '')} |")
    lines.append("")
    if report.get("profiles"):
        lines += [
            "## Where the time goes (py-spy, Athenaeum worker, endpoints that miss a target)",
            "",
            "Sampled at 250 Hz with `py-spy record --format raw` during an extra, unmeasured wrk run of the"
            " endpoint. 'self' = share of samples whose deepest frame from a named package is that package's"
            " (whose code was running); 'inclusive' = share of samples with that package anywhere on the stack."
            " Raw collapsed stacks: `bench/results/profile-<endpoint>.txt`.",
            "",
            "Reading these against the ceiling: the ceiling runs the same SQL under the same uvicorn, so"
            " what separates a read from it is Litestar's request path (routing, the signature model and"
            " dependencies, the response object, the exception middleware: the 'Litestar' share; the"
            " framework's floor above measures it without any work) and SQLAlchemy's Connection around each"
            " unit of work; psycopg's share is there in both. On this machine every round trip to Postgres"
            " costs the worker CPU of its own (`bench/statement_cost.py` prints what a statement costs on raw"
            " psycopg, inside a unit of work, and what a writing unit of work's checkout, BEGIN and COMMIT"
            " cost), which is why the writes gained most from fewer statements, and why a direct chat message"
            " (one transaction: BEGIN, one INSERT, COMMIT, plus the Socket.IO frames) stays in the low"
            " thousands a second on one worker.",
            "",
        ]
        for sc, p in report["profiles"].items():
            if not p.get("samples"):
                continue
            lines += [
                f"### {SCENARIOS[sc]['label']} ({p['samples']} samples)",
                "",
                "- self: " + ", ".join(f"{n} {v:.0f} %" for n, v in p["self_by_package"]),
                "- inclusive: " + ", ".join(f"{n} {v:.0f} %" for n, v in p["inclusive_by_package"]),
                "- top leaf frames: " + "; ".join(f"`{n}` {v:.0f} %" for n, v in p["top_leaf_frames"][:5]),
            ]
            if "connection_open_close_pct" in p:
                lines.append(
                    "- opening or closing a database connection (psycopg connect/close on the stack):"
                    f" {p['connection_open_close_pct']:.0f} % of samples"
                )
            lines.append("")
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="short run: 1 round, 1 s warmup, 4 s measured")
    p.add_argument(
        "--dev-env",
        action="store_true",
        help="serve Athenaeum from this environment instead of a production install (uv sync --no-dev)",
    )
    p.add_argument("--render", action="store_true", help="only re-render BENCHMARKS.md from latest.json")
    p.add_argument("--rounds", type=int, default=None, help="rounds per endpoint (default 2; quick 1)")
    p.add_argument("--warmup", type=float, default=None, help="seconds (default 3; quick 1)")
    p.add_argument("--duration", type=float, default=None, help="measured seconds per run (default 10; quick 4)")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--login-connections", type=int, default=8)
    p.add_argument("--scenarios", default=",".join(SCENARIOS))
    p.add_argument("--openloop", default="book_detail,users_me", help="endpoints for the open-loop p99")
    p.add_argument("--no-login", dest="login", action="store_false")
    p.add_argument("--no-socketio", dest="socketio", action="store_false")
    p.add_argument("--no-floor", dest="floor", action="store_false", help="skip the framework floor (bench/floor.py)")
    p.add_argument("--no-profile", dest="profile", action="store_false")
    p.add_argument("--pending-rule", action="store_true", help="run both sides with the pending-payment rule on")
    p.add_argument("--drf-workers", type=int, default=2)
    p.add_argument("--books", type=int, default=10_000)
    p.add_argument("--users", type=int, default=1_000)
    p.add_argument("--login-users", type=int, default=64)
    p.add_argument("--port-base", type=int, default=8101)
    p.add_argument("--peer-dir", type=Path, default=ROOT.parent / "shared" / "peers" / "drf")
    p.add_argument("--drf-venv", default="/tmp/drf-venv")
    p.add_argument("--athenaeum-db", default="athenaeum_bench")
    p.add_argument("--ceiling-db", default="ceiling_bench")
    p.add_argument("--peer-db", default="peer_bench")
    p.add_argument("--socketio-db", default="socketio_bench")
    p.add_argument("--wrk", default="wrk")
    p.add_argument(
        "--quiet-wait", type=float, default=None, help="max seconds to wait for a quiet machine before each run"
    )
    p.add_argument("--quiet-below", type=float, default=20, help="'quiet' = the machine at most this %% busy")
    p.add_argument("--server-cpus", default=None)
    p.add_argument("--client-cpus", default=None)
    args = p.parse_args(argv)
    args.rounds = args.rounds or (1 if args.quick else 2)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 3.0)
    args.duration = args.duration or (4.0 if args.quick else 10.0)
    args.quiet_wait = args.quiet_wait if args.quiet_wait is not None else (0.0 if args.quick else 5.0)
    args.openloop_duration = 4.0 if args.quick else 10.0
    args.login_duration = max(args.duration, 8.0 if args.quick else 15.0)  # a login takes up to seconds at 8 conns
    args.socketio_duration = 3.0 if args.quick else 8.0
    args.scenario_list = [s for s in args.scenarios.split(",") if s]
    args.openloop_list = [s for s in args.openloop.split(",") if s]
    unknown = [s for s in args.scenario_list + args.openloop_list if s not in SCENARIOS]
    if unknown:
        p.error(f"unknown scenarios {unknown}; known: {', '.join(SCENARIOS)}")
    multi = (os.cpu_count() or 1) > 1 and shutil.which("taskset") is not None
    args.server_cpus = args.server_cpus if args.server_cpus is not None else ("0" if multi else "")
    args.client_cpus = args.client_cpus if args.client_cpus is not None else ("1" if multi else "")
    if not args.peer_dir.is_dir():
        alt = Path("/work/shared/peers/drf")
        args.peer_dir = alt if alt.is_dir() else args.peer_dir
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.render:
        report = json.loads((RESULTS / "latest.json").read_text())
    else:
        report = run_bench(args)
        (RESULTS / "latest.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    text = render(report)
    (RESULTS / "latest.md").write_text(text)
    (ROOT / "BENCHMARKS.md").write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
