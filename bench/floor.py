"""The framework's floor: what serving a request costs before any work of Athenaeum's.

Two ASGI apps answer ``GET /api/books/{id}`` with a book-detail-shaped JSON body built from
constants (no database), and ``GET /health``:

* ``bare``: a plain ASGI callable (what bench/ceiling.py is, minus its SQL);
* ``litestar_app``: the same handler in Litestar, as Athenaeum declares its handlers (a typed
  path parameter, a msgspec struct returned, ``debug`` off, no logging config, no OpenAPI).

`just bench` serves each under uvicorn exactly as it serves the ceiling app (uvloop,
httptools, one process, pinned) and reports their req/s and CPU per request. The difference
in CPU per request is Litestar's own cost per request on this machine: part of what stands
between any Litestar app and the ceiling app, however little the app itself does.

    uv run python -m uvicorn --app-dir bench floor:bare --port 8300 --loop uvloop --http httptools
    uv run python -m uvicorn --app-dir bench floor:litestar_app --port 8301 --loop uvloop --http httptools
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar, get


class BookDetail(msgspec.Struct):
    id: int
    title: str
    author: str
    publish_year: int
    short_description: str
    cover: str
    inventory: int
    daily_fee_cents: int
    readers: int
    full_description: str


def _book(book_id: int) -> BookDetail:
    return BookDetail(
        id=book_id,
        title="The Name of the Rose",
        author="Umberto Eco",
        publish_year=1980,
        short_description="A murder mystery in a medieval abbey.",
        cover="HARD",
        inventory=100,
        daily_fee_cents=25,
        readers=10,
        full_description="In 1327, Brother William of Baskerville arrives at an abbey " * 4,
    )


_encode = msgspec.json.Encoder().encode
_JSON = [(b"content-type", b"application/json")]
_HEALTH = _encode({"status": "ok"})
_NOT_FOUND = _encode({"status": 404})


async def bare(scope: dict[str, Any], _receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    path: str = scope["path"]
    status, body = 404, _NOT_FOUND
    if path == "/health":
        status, body = 200, _HEALTH
    elif path.startswith("/api/books/") and path[11:].isdigit():
        status, body = 200, _encode(_book(int(path[11:])))
    headers = [*_JSON, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@get("/api/books/{book_id:int}")
async def get_book(book_id: int) -> BookDetail:
    return _book(book_id)


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


litestar_app = Litestar([get_book, health], debug=False, logging_config=None, openapi_config=None)
