# Athenaeum — tasks. Prerequisites: `pip install rust-just uv` (uv fetches everything else).

set shell := ["bash", "-eu", "-o", "pipefail", "-c"]

# list the recipes
default:
    @just --list

# create or update the virtual environment from uv.lock
sync:
    uv sync --frozen --quiet

# migrate the embedded SQLite database (or ATHENAEUM_DATABASE_URL) and serve on 127.0.0.1:8000
run *args: sync
    uv run --frozen athenaeum serve {{args}}

# lint, then the whole suite (unit + integration on SQLite and Postgres)
test *args: sync lint
    uv run --frozen pytest -n 2 --dist loadgroup {{args}}

# unit tests only: no I/O, seconds
test-unit *args: sync
    uv run --frozen pytest tests/unit -q {{args}}

# integration tests only (real databases, real HTTP)
test-int *args: sync
    uv run --frozen pytest tests/integration -n 2 --dist loadgroup {{args}}

# ruff (lint + format check), the import-linter architecture contracts and mypy (src/)
lint: sync
    uv run --frozen ruff check src tests migrations bench
    uv run --frozen ruff format --check src tests migrations bench
    uv run --frozen lint-imports
    uv run --frozen mypy

# format and auto-fix
fmt: sync
    uv run --frozen ruff format src tests migrations bench
    uv run --frozen ruff check --fix src tests migrations bench

# apply migrations to ATHENAEUM_DATABASE_URL (default: the embedded SQLite database)
migrate *args: sync
    uv run --frozen athenaeum db upgrade {{args}}

# Athenaeum vs the DRF baseline vs a bare ceiling app -> BENCHMARKS.md (--quick, --render, --rounds N; see bench/harness.py)
bench *args: sync
    uv run --frozen python bench/harness.py {{args}}

# the Socket.IO benchmark alone: 100 clients, one server process, Postgres (database socketio_bench)
bench-socketio *args: sync
    uv run --frozen python bench/socketio_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/socketio_bench {{args}}
