"""Seed a database with the benchmark's data set, the same as the DRF peer's `seed_bench`:
books with a large inventory, users ``bench{i}@example.org`` / ``benchpass123`` (one hash
shared by all), closed reading sessions, and their session statistics.

    uv run python bench/seed.py postgresql+psycopg://postgres@127.0.0.1:5432/athenaeum_bench \\
        --books 10000 --users 1000 --sessions-per-user 10 --reset
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sqlalchemy import insert, text

from adapters.security.passwords import Argon2PasswordHasher
from adapters.sql.engine import create_engine
from adapters.sql.tables import books, metadata, reading_sessions, users
from entrypoints import migrate

WORDS = [
    "river",
    "night",
    "garden",
    "winter",
    "silent",
    "iron",
    "glass",
    "paper",
    "city",
    "north",
    "house",
    "letter",
    "stone",
    "light",
    "mirror",
    "ocean",
    "forest",
    "shadow",
    "empire",
    "harbor",
    "journey",
    "secret",
    "orchard",
    "salt",
    "thunder",
    "violet",
]
SURNAMES = [
    "Austen",
    "Tolstoy",
    "Woolf",
    "Borges",
    "Calvino",
    "Eco",
    "Kafka",
    "Mann",
    "Morrison",
    "Achebe",
    "Murakami",
    "Lessing",
]


async def seed(url: str, n_books: int, n_users: int, per_user: int, reset: bool, password: str) -> None:
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url, pool_size=2, max_overflow=0)
    rng = random.Random(42)
    now = datetime.now(UTC)
    password_hash = await Argon2PasswordHasher().hash(password)
    async with engine.begin() as conn:
        if reset:
            names = ", ".join(t.name for t in reversed(metadata.sorted_tables))
            if engine.dialect.name == "postgresql":
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(metadata.sorted_tables):
                    await conn.execute(table.delete())
        elif await conn.scalar(text("SELECT count(*) FROM books")):
            raise SystemExit("the database already has books; use --reset")
        book_rows = [
            {
                "title": " ".join(rng.sample(WORDS, 3)).title(),
                "author": f"{rng.choice('ABCDEFGHJKLMNPRSTW')}. {rng.choice(SURNAMES)}",
                "publish_year": rng.randint(1850, now.year),
                "short_description": "A book about " + " and ".join(rng.sample(WORDS, 2)) + ".",
                "full_description": " ".join(rng.choices(WORDS, k=80)).capitalize() + ".",
                "cover": rng.choice(("HARD", "SOFT")),
                "inventory": 1_000_000,
                "daily_fee_cents": rng.randint(50, 500),
            }
            for _ in range(n_books)
        ]
        for start in range(0, n_books, 2000):
            await conn.execute(insert(books), book_rows[start : start + 2000])
        user_rows = [
            {
                "username": f"bench{i}",
                "email": f"bench{i}@example.org",
                "password_hash": password_hash,
                "is_premium": False,
                "is_admin": False,
                "is_active": True,
                "created_at": now,
            }
            for i in range(n_users)
        ]
        await conn.execute(insert(users), user_rows)
        user_ids = [row[0] for row in (await conn.execute(text("SELECT id FROM users ORDER BY id"))).all()]
        book_ids = [row[0] for row in (await conn.execute(text("SELECT id FROM books ORDER BY id"))).all()]
        session_rows = []
        for user_id in user_ids:
            for _ in range(per_user):
                started = now - timedelta(days=rng.uniform(1, 60))
                session_rows.append(
                    {
                        "user_id": user_id,
                        "book_id": rng.choice(book_ids),
                        "started_at": started,
                        "ended_at": started + timedelta(minutes=rng.uniform(5, 120)),
                    }
                )
        for start in range(0, len(session_rows), 5000):
            await conn.execute(insert(reading_sessions), session_rows[start : start + 5000])
    # session_stats: the same set-based refresh the periodic job runs
    from entrypoints.container import build_container, close_gateways
    from entrypoints.settings import load_settings

    container = build_container(load_settings({}, env_file=None, database_url=url, secret_key="x" * 40))
    try:
        await container.catalog.refresh_reading_stats()()
    finally:
        await close_gateways(container)
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
    await engine.dispose()
    print(f"seeded {n_books} books, {n_users} users, {len(session_rows)} reading sessions")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--books", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--sessions-per-user", type=int, default=10)
    parser.add_argument("--password", default="benchpass123")
    parser.add_argument("--reset", action="store_true")
    args = parser.parse_args()
    asyncio.run(seed(args.url, args.books, args.users, args.sessions_per_user, args.reset, args.password))


if __name__ == "__main__":
    main()
