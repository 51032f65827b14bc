"""The ceiling: a bare ASGI app that answers the benchmarked endpoints with the same SQL.

No framework, no ORM, no dependency injection: a path switch, a psycopg 3 connection pool
(prepared statements after the 2nd use), msgspec for JSON, and an HS256 check of the
bearer token done with ``hmac``. The statements are the ones Athenaeum sent to Postgres for
each endpoint when this file was written (captured with ``log_statement = all``), in the
same order and in the same transactions, so "Athenaeum / ceiling" is the share of the limit
that the framework, the ORM and the application layers leave.

    CEILING_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/athenaeum_bench \\
    CEILING_SECRET_KEY=... uvicorn --app-dir bench ceiling:app --loop uvloop --http httptools
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
import psycopg
from psycopg_pool import AsyncConnectionPool

DSN = os.environ.get("CEILING_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/athenaeum_bench")
SECRET = os.environ.get("CEILING_SECRET_KEY", "").encode()
POOL_SIZE = int(os.environ.get("CEILING_POOL_SIZE", "20"))  # as Athenaeum's DB_POOL_SIZE
UNPAID_BLOCKS = os.environ.get("CEILING_UNPAID_BLOCKS_BORROWING", "0") == "1"
PUBLIC_BASE = os.environ.get("CEILING_PUBLIC_BASE_URL", "http://127.0.0.1:8000")

BOOK_SUMMARY = (
    "books.id, books.title, books.author, books.publish_year, books.short_description, books.cover, "
    "books.inventory, books.daily_fee_cents, (SELECT count(DISTINCT reading_sessions.user_id) "
    "FROM reading_sessions WHERE reading_sessions.book_id = books.id) AS readers"
)
SUMMARY_KEYS = (
    "id",
    "title",
    "author",
    "publish_year",
    "short_description",
    "cover",
    "inventory",
    "daily_fee_cents",
    "readers",
)
LIST_SQL = (
    f"SELECT {BOOK_SUMMARY}, (SELECT count(*) AS count_1 FROM books) AS total "
    "FROM books ORDER BY books.id LIMIT %s OFFSET %s"
)
COUNT_SQL = "SELECT count(*) FROM books"
DETAIL_SQL = f"SELECT {BOOK_SUMMARY}, books.full_description FROM books WHERE books.id = %s"
USER_COLUMNS = (
    "users.id, users.username, users.email, users.password_hash, users.phone, users.date_of_birth, "
    "users.country, users.avatar_url, users.is_premium, users.is_admin, users.is_active, users.created_at"
)
AUTH_SQL = "SELECT users.is_active, users.is_admin, users.is_premium FROM users WHERE users.id = %s"
ME_SQL = (
    f"SELECT {USER_COLUMNS}, user_session_stats.total_seconds, user_session_stats.last_7_days_seconds, "
    "user_session_stats.last_30_days_seconds, user_session_stats.books_read, user_session_stats.updated_at "
    "FROM users LEFT OUTER JOIN user_session_stats ON user_session_stats.user_id = users.id WHERE users.id = %s"
)
LOCK_USER_SQL = "SELECT users.is_active FROM users WHERE users.id = %s FOR NO KEY UPDATE"
LOCK_USER_EMAIL_SQL = (
    "SELECT users.id, users.username, users.email FROM users WHERE users.id = %s AND users.is_active IS true "
    "FOR NO KEY UPDATE"
)
END_OPEN_SESSION_SQL = (  # end the user's open session (any book) and return it, in one statement
    "UPDATE reading_sessions SET ended_at = CASE WHEN (reading_sessions.started_at > %(now)s) "
    "THEN reading_sessions.started_at ELSE %(now)s END "
    "WHERE reading_sessions.user_id = %(reader)s AND reading_sessions.ended_at IS NULL "
    "RETURNING reading_sessions.id, reading_sessions.user_id, reading_sessions.book_id, "
    "reading_sessions.started_at, reading_sessions.ended_at"
)
START_SESSION_SQL = (
    "INSERT INTO reading_sessions (user_id, book_id, started_at, ended_at) VALUES (%s, %s, %s, NULL) "
    "RETURNING reading_sessions.id"
)
SECOND = timedelta(seconds=1)
ADD_STATS_SQL = (  # the reading step added to the user's stored session_stats (Athenaeum's StatsChange)
    "UPDATE user_session_stats SET total_seconds = user_session_stats.total_seconds + %(total)s, "
    "last_7_days_seconds = user_session_stats.last_7_days_seconds + %(week)s, "
    "last_30_days_seconds = user_session_stats.last_30_days_seconds + %(month)s, "
    "books_read = user_session_stats.books_read + CASE WHEN (EXISTS (SELECT * FROM reading_sessions "
    "WHERE reading_sessions.book_id = %(book)s AND reading_sessions.user_id = user_session_stats.user_id "
    "AND reading_sessions.id != %(session)s)) THEN 0 ELSE 1 END, updated_at = %(now)s "
    "WHERE user_session_stats.user_id = %(user)s"
)
UNPAID_SQL = (
    "SELECT EXISTS (SELECT * FROM payments WHERE payments.user_id = %s "
    "AND payments.status IN ('PENDING', 'EXPIRED') AND payments.type IN ('PAYMENT', 'FINE'))"
)
HOLD_SQL = (
    "UPDATE holds SET status = 'fulfilled', closed_at = %(now)s WHERE holds.user_id = %(user)s "
    "AND holds.book_id = %(book)s AND holds.status = 'ready' AND holds.ready_until > %(now)s RETURNING holds.id"
)
TAKE_COPY_SQL = (
    "UPDATE books SET inventory = (books.inventory - 1) WHERE books.id = %s AND books.inventory > 0 "
    "RETURNING books.id, books.title, books.author, books.cover, books.daily_fee_cents, books.inventory"
)
BORROW_SQL = (
    "INSERT INTO borrowings (user_id, book_id, borrow_date, expected_return_date, actual_return_date, created_at) "
    "VALUES (%s, %s, %s, %s, NULL, %s) RETURNING borrowings.id"
)
PAYMENT_SQL = (
    "INSERT INTO payments (user_id, borrowing_id, type, status, amount_cents, currency, session_id, session_url, "
    "session_expires_at, created_at, paid_at) VALUES (%s, %s, 'PAYMENT', 'PENDING', %s, 'usd', NULL, NULL, NULL, "
    "%s, NULL) RETURNING payments.id"
)
PAYMENT_SESSION_SQL = (
    "UPDATE payments SET status = 'PENDING', session_id = %s, session_url = %s, session_expires_at = %s, "
    "paid_at = NULL WHERE payments.id = %s"
)
OUTBOX_SQL = (
    "INSERT INTO outbox (kind, payload, status, attempts, max_attempts, next_attempt_at, created_at) "
    "VALUES ('telegram', %s, 'pending', 0, 13, %s, %s) RETURNING outbox.id"
)

JSON = [(b"content-type", b"application/json")]
PROBLEM = [(b"content-type", b"application/problem+json")]
encode = msgspec.json.encode
decode = msgspec.json.decode


class HTTPError(Exception):
    def __init__(self, status: int, title: str) -> None:
        super().__init__(title)
        self.status = status
        self.title = title


class Borrow(msgspec.Struct):
    book_id: int
    expected_return_date: date


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def user_from_token(headers: list[tuple[bytes, bytes]]) -> int:
    """HS256 signature, expiry and ``typ`` of the bearer token; the subject as an int."""
    for name, value in headers:
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            token = value[7:].decode()
            break
    else:
        raise HTTPError(401, "Unauthorized")
    try:
        head, body, signature = token.split(".")
        expected = hmac.new(SECRET, f"{head}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _b64(signature)):
            raise HTTPError(401, "Unauthorized")
        claims = decode(_b64(body))
    except (ValueError, msgspec.DecodeError) as exc:
        raise HTTPError(401, "Unauthorized") from exc
    if claims.get("typ") != "access" or claims.get("exp", 0) < time.time():
        raise HTTPError(401, "Unauthorized")
    return int(claims["sub"])


def summary(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(SUMMARY_KEYS, row, strict=False))


class Ceiling:
    def __init__(self) -> None:
        self.pool = AsyncConnectionPool(DSN, min_size=POOL_SIZE, max_size=POOL_SIZE, open=False)

    async def books(self, query: bytes) -> dict[str, Any]:
        params = dict(part.split("=", 1) for part in query.decode().split("&") if "=" in part)
        limit, offset = min(int(params.get("limit", 20)), 100), int(params.get("offset", 0))
        async with self.pool.connection() as conn:
            rows = await (await conn.execute(LIST_SQL, (limit, offset))).fetchall()
            # The total rides along the page (as Athenaeum does); past the end, count apart.
            total = rows[0][-1] if rows else (await (await conn.execute(COUNT_SQL)).fetchone())[0]  # type: ignore[index]
        return {"items": [summary(row) for row in rows], "total": total, "limit": limit, "offset": offset}

    async def book(self, book_id: int) -> dict[str, Any]:
        async with self.pool.connection() as conn:
            row = await (await conn.execute(DETAIL_SQL, (book_id,))).fetchone()
        if row is None:
            raise HTTPError(404, "Not Found")
        return {**summary(row), "full_description": row[9]}

    async def me(self, user_id: int) -> dict[str, Any]:
        async with self.pool.connection() as conn:
            row = await (await conn.execute(ME_SQL, (user_id,))).fetchone()
        if row is None or not row[10]:
            raise HTTPError(401, "Unauthorized")
        stats = None
        if row[12] is not None:
            stats = {
                "total_seconds": row[12],
                "last_7_days_seconds": row[13],
                "last_30_days_seconds": row[14],
                "books_read": row[15],
                "updated_at": row[16],
            }
        keys = ("id", "username", "email", None, "phone", "date_of_birth", "country", "avatar_url")
        out = {key: value for key, value in zip(keys, row, strict=False) if key}
        return {**out, "is_premium": row[8], "is_admin": row[9], "session_stats": stats}

    async def _auth(self, conn: Any, user_id: int) -> None:
        row = await (await conn.execute(AUTH_SQL, (user_id,))).fetchone()
        if row is None or not row[0]:
            raise HTTPError(401, "Unauthorized")

    async def reading_start(self, user_id: int, book_id: int) -> dict[str, Any]:
        async with self.pool.connection() as conn:
            try:
                async with conn.transaction():
                    # the account is checked on the row the start locks (as in Athenaeum)
                    active = await (await conn.execute(LOCK_USER_SQL, (user_id,))).fetchone()
                    if active is None or not active[0]:
                        raise HTTPError(401, "Unauthorized")
                    now = datetime.now(UTC)  # after the lock: a concurrent start of the same user's is ordered before
                    seconds = week = month = 0
                    for _id, _user, _book, started, ended in await (
                        await conn.execute(END_OPEN_SESSION_SQL, {"now": now, "reader": user_id})
                    ).fetchall():
                        seconds = (ended - started) // SECOND
                        week = (ended - max(started, now - timedelta(days=7))) // SECOND
                        month = (ended - max(started, now - timedelta(days=30))) // SECOND
                    # a missing book: the foreign key refuses the insert (as in Athenaeum)
                    new_id = (await (await conn.execute(START_SESSION_SQL, (user_id, book_id, now))).fetchone())[0]  # type: ignore[index]
                    stats = {"total": seconds, "week": week, "month": month, "book": book_id, "session": new_id}
                    await conn.execute(ADD_STATS_SQL, {**stats, "now": now, "user": user_id})
            except psycopg.errors.ForeignKeyViolation as exc:
                raise HTTPError(404, "Not Found") from exc
        return {
            "id": new_id,
            "user_id": user_id,
            "book_id": book_id,
            "started_at": now,
            "ended_at": None,
            "elapsed_seconds": 0,
        }

    async def borrow(self, user_id: int, body: bytes) -> dict[str, Any]:
        try:
            request = decode(body, type=Borrow)
        except msgspec.DecodeError as exc:
            raise HTTPError(400, "Bad Request") from exc
        now = datetime.now(UTC)
        today = now.date()
        days = (request.expected_return_date - today).days
        if days <= 0:
            raise HTTPError(400, "Bad Request")
        async with self.pool.connection() as conn, conn.transaction():
            # the account is checked on the row the borrowing locks (as in Athenaeum)
            user = await (await conn.execute(LOCK_USER_EMAIL_SQL, (user_id,))).fetchone()
            if user is None:
                raise HTTPError(401, "Unauthorized")
            unpaid = (await (await conn.execute(UNPAID_SQL, (user_id,))).fetchone())[0]  # type: ignore[index]
            if unpaid and UNPAID_BLOCKS:
                raise HTTPError(409, "Conflict")
            await conn.execute(HOLD_SQL, {"now": now, "user": user_id, "book": request.book_id})
            book = await (await conn.execute(TAKE_COPY_SQL, (request.book_id,))).fetchone()
            if book is None:
                raise HTTPError(409, "Conflict")
            borrowing_id = (
                await (
                    await conn.execute(BORROW_SQL, (user_id, book[0], today, request.expected_return_date, now))
                ).fetchone()
            )[0]  # type: ignore[index]
            amount = days * book[4]
            payment_id = (await (await conn.execute(PAYMENT_SQL, (user_id, borrowing_id, amount, now))).fetchone())[0]  # type: ignore[index]
            session_id = f"cs_sandbox_{secrets.token_urlsafe(24)}"
            session_url = f"{PUBLIC_BASE}/api/payments/sandbox/{session_id}"
            expires = now + timedelta(days=1)
            await conn.execute(PAYMENT_SESSION_SQL, (session_id, session_url, expires, payment_id))
            text = f"New borrowing #{borrowing_id}\nBorrower: {user[1]} <{user[2]}> (user #{user_id})"  # type: ignore[index]
            await conn.execute(OUTBOX_SQL, (encode({"text": text}).decode(), now, now))
        payment = {
            "id": payment_id,
            "status": "PENDING",
            "type": "PAYMENT",
            "borrowing_id": borrowing_id,
            "session_id": session_id,
            "session_url": session_url,
            "session_expires_at": expires,
            "amount_cents": amount,
            "currency": "usd",
            "user_id": user_id,
            "created_at": now,
            "paid_at": None,
        }
        return {
            "id": borrowing_id,
            "borrow_date": today,
            "expected_return_date": request.expected_return_date,
            "actual_return_date": None,
            "is_active": True,
            "book": {"id": book[0], "title": book[1], "author": book[2], "cover": book[3], "daily_fee_cents": book[4]},
            "user_id": user_id,
            "payments": [payment],
        }

    async def route(self, scope: dict[str, Any], body: bytes) -> tuple[int, Any]:
        method, path = scope["method"], scope["path"]
        parts = path.strip("/").split("/")
        if method == "GET":
            if path == "/health":
                return 200, {"status": "ok"}
            if path == "/api/books":
                return 200, await self.books(scope["query_string"])
            if len(parts) == 3 and parts[:2] == ["api", "books"] and parts[2].isdigit():
                return 200, await self.book(int(parts[2]))
            if path == "/api/users/me":
                return 200, await self.me(user_from_token(scope["headers"]))
        elif method == "POST":
            if len(parts) == 5 and parts[:2] == ["api", "books"] and parts[3:] == ["reading", "start"]:
                return 201, await self.reading_start(user_from_token(scope["headers"]), int(parts[2]))
            if path == "/api/borrowings":
                return 201, await self.borrow(user_from_token(scope["headers"]), body)
        raise HTTPError(404, "Not Found")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await self.pool.open(wait=True)
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.pool.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        try:
            status, payload = await self.route(scope, body)
            headers, content = JSON, encode(payload)
        except HTTPError as exc:
            status, headers = exc.status, PROBLEM
            content = encode({"type": "about:blank", "title": exc.title, "status": exc.status})
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


app = Ceiling()
