"""The authorization matrix: every route of the app x {anonymous, owner, other user, admin}
with the status each must get, walked by one parametrized test.

* "owner" is the user who owns what the path names (their borrowing, task, category, the
  organization they belong to, the user a user-administration path names); on routes that
  name nothing of anyone's, a plain signed-in user like "other".
* "other" is another plain user; "admin" an administrator who owns nothing of the owner's.
* Where the matrix expects a refusal (4xx), every table must be exactly as it was before.
* Rows whose allowed request changes something build a disposable resource per case, so
  the order the cases run in does not matter.

A route the app serves without a row here fails ``test_every_route_has_a_row_and_every_row_a_route``; a row for a
route the app does not serve fails too; and every route must be in the OpenAPI document.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.figures import record
from tests.integration.community_support import png_bytes
from tests.integration.conftest import make_settings
from tests.integration.security.matrix_world import World, build_world, serial, snapshot
from tests.integration.support import PASSWORD, Account, Api, empty_all_tables

#: One worker walks the whole matrix, so each backend's world is built once.
pytestmark = pytest.mark.xdist_group("authorization-matrix")

ROLES = ("anonymous", "owner", "other", "admin")


@dataclass
class Scene:
    """What one case sends: path parameters, and a body or query; ``owner`` when the setup
    made a fresh owner for a disposable resource."""

    params: dict[str, Any]
    owner: Account | None = None
    json: Any = None
    files: dict[str, Any] | None = None
    query: dict[str, Any] | None = None


Setup = Callable[[World], Awaitable[Scene]]


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # exactly as the app declares it, e.g. /api/borrowings/{borrowing_id:int}
    expect: dict[str, int]
    setup: Setup
    variant: str = ""
    note: str = field(default="", compare=False)

    def case_id(self, role: str) -> str:
        variant = f" [{self.variant}]" if self.variant else ""
        return f"{self.method} {re.sub(r':[a-z]+}', '}', self.path)}{variant} as {role}"


def shared(
    *, json: Any = None, files: Callable[[], dict[str, Any]] | None = None, query: Any = None, **names: str
) -> Setup:
    """The shared world: path parameters from ``world.ids`` (``name="id key"`` renames one);
    ``json``/``query`` may be callables of the world for values that must be unique."""

    async def setup(world: World) -> Scene:
        params = dict(world.ids) | {name: world.ids[key] for name, key in names.items()}
        return Scene(
            params=params,
            json=json(world) if callable(json) else json,
            files=files() if files else None,
            query=query(world) if callable(query) else query,
        )

    return setup


def row(method: str, path: str, expect: tuple[int, int, int, int], setup: Setup, variant: str = "", note: str = ""):
    return Row(method, path, dict(zip(ROLES, expect, strict=True)), setup, variant, note)


def _image() -> dict[str, Any]:
    return {"file": ("picture.png", png_bytes(), "image/png")}


def _later(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


# -- disposable scenes: one fresh resource per case ---------------------------------------------
async def fresh_tokens(world: World) -> Scene:
    user = await world.user()
    return Scene(params={}, owner=user, json={"refresh": user.refresh})


async def fresh_email_change(world: World) -> Scene:
    user = await world.user()
    return Scene(params={}, owner=user, json={"new_email": f"new{serial()}@example.org"})


async def fresh_email_token(world: World) -> Scene:
    user = await world.user()
    return Scene(params={}, owner=user, json={"token": await world.email_change_token(user)})


async def fresh_user(world: World) -> Scene:
    user = await world.user()
    return Scene(params={"user_id": user.id}, owner=user)


async def fresh_user_replacement(world: World) -> Scene:
    scene = await fresh_user(world)
    n = serial()
    scene.json = {
        "username": f"renamed{n}",
        "email": f"renamed{n}@example.org",
        "is_admin": False,
        "is_premium": False,
        "is_active": True,
    }
    return scene


async def fresh_user_patch(world: World) -> Scene:
    scene = await fresh_user(world)
    scene.json = {"country": "Peru"}
    return scene


async def fresh_task(world: World) -> Scene:
    user = await world.user()
    return Scene(params={"task_id": await world.task(user)}, owner=user, json={"status": "IN_WORK"})


async def fresh_book(world: World) -> Scene:
    return Scene(params={"book_id": await world.book()})


async def fresh_empty_book(world: World) -> Scene:
    return Scene(params={"book_id": await world.book(inventory=0)})


def book_body(world: World) -> dict[str, Any]:
    return {
        "title": f"Another book {serial()}",
        "author": "Bea Writer",
        "publish_year": 1999,
        "inventory": 2,
        "daily_fee_cents": 50,
    }


async def fresh_book_replacement(world: World) -> Scene:
    scene = await fresh_book(world)
    scene.json = book_body(world)
    return scene


async def fresh_book_patch(world: World) -> Scene:
    scene = await fresh_book(world)
    scene.json = {"inventory": 7}
    return scene


async def fresh_open_reading(world: World) -> Scene:
    user, book_id = await world.user(), await world.book()
    await world.ok("POST", f"/api/books/{book_id}/reading/start", user, 201)
    return Scene(params={"book_id": book_id}, owner=user)


def reading_record(world: World) -> dict[str, Any]:
    started = datetime.now(UTC) - timedelta(hours=3)
    return {
        "user_id": world.owner.id,
        "book_id": world.ids["book_id"],
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(minutes=20)).isoformat(),
    }


async def fresh_reading_session(world: World) -> Scene:
    return Scene(params={"session_id": await world.reading_session(world.owner, world.ids["book_id"])})


async def fresh_category(world: World) -> Scene:
    user = await world.user()
    return Scene(params={"category_id": await world.category(user)}, owner=user, json={"color": "#112233"})


async def fresh_owner(world: World) -> Scene:
    return Scene(params={}, owner=await world.user())


async def fresh_focus_start(world: World) -> Scene:
    return Scene(params={}, owner=await world.user(), json={"focus_minutes": 25})


async def fresh_focus_session(world: World) -> Scene:
    user = await world.user()
    session = await world.ok("POST", "/api/focus/sessions", user, 201, json={})
    return Scene(params={"session_id": session["id"]}, owner=user)


async def fresh_track(world: World) -> Scene:
    body = {"title": f"Rain {serial()}", "url": "/media/music/rain.wav"}
    track = await world.ok("POST", "/api/music/tracks", world.admin, 201, json=body)
    return Scene(params={"track_id": track["id"]})


async def fresh_borrow(world: World) -> Scene:
    book_id = await world.book()
    return Scene(params={}, owner=await world.user(), json={"book_id": book_id, "expected_return_date": _later(7)})


async def fresh_borrowing(world: World) -> Scene:
    user = await world.user()
    borrowing = await world.borrowing(user)
    return Scene(params={"borrowing_id": borrowing["id"]}, owner=user)


async def fresh_hold(world: World) -> Scene:
    user, book_id = await world.user(), await world.book(inventory=0)
    hold = await world.ok("POST", f"/api/books/{book_id}/holds", user, 201)
    return Scene(params={"hold_id": hold["id"]}, owner=user)


async def fresh_paid_session(world: World) -> Scene:
    user = await world.user()
    session_id = (await world.borrowing(user))["payments"][0]["session_id"]
    await world.ok("POST", f"/api/payments/sandbox/{session_id}", None, 303, follow_redirects=False)
    return Scene(params={}, owner=user, query={"session_id": session_id})


async def fresh_unpaid_session(world: World) -> Scene:
    user = await world.user()
    session_id = (await world.borrowing(user))["payments"][0]["session_id"]
    return Scene(params={"session_id": session_id}, owner=user)


async def fresh_expired_payment(world: World) -> Scene:
    user = await world.user()
    payment_id = (await world.borrowing(user))["payments"][0]["id"]
    await world.expire_payment(payment_id)
    return Scene(params={"payment_id": payment_id}, owner=user)


def owner_filter(world: World) -> dict[str, Any]:
    return {"user_id": world.owner.id}


async def message_from_other(world: World) -> Scene:
    body = {"recipient_id": world.owner.id, "text": "from other"}
    message = await world.ok("POST", "/api/chat/messages", world.other, 201, json=body)
    return Scene(params={"message_id": message["id"]})


async def fresh_organization_and_newcomer(world: World) -> Scene:
    organization_id, newcomer = await world.organization(world.owner), await world.user()
    return Scene(params={"organization_id": organization_id, "user_id": newcomer.id})


async def fresh_organization_with_member(world: World) -> Scene:
    member = await world.user()
    organization_id = await world.organization(world.owner, member)
    return Scene(params={"organization_id": organization_id, "user_id": member.id})


# fmt: off
#   expected statuses, in order: (anonymous, owner, other, admin)
MATRIX: list[Row] = [
    # -- operations: public by design (probes and the Prometheus scrape)
    row("GET", "/health", (200, 200, 200, 200), shared()),
    row("GET", "/ready", (200, 200, 200, 200), shared()),
    row("GET", "/metrics", (200, 200, 200, 200), shared(),
        note="public: counts only, no user data; keep it off the public network at the proxy"),
    # -- identity
    row("POST", "/api/auth/register", (201, 201, 201, 201), shared(json=lambda _: {
        "username": f"newcomer{(n := serial())}", "email": f"newcomer{n}@example.org", "password": PASSWORD})),
    row("POST", "/api/auth/login", (200, 200, 200, 200),
        shared(json=lambda w: {"email": w.owner.email, "password": PASSWORD}),
        note="the bearer header is not read: the credentials are the proof"),
    row("POST", "/api/auth/refresh", (200, 200, 200, 200), fresh_tokens,
        note="the refresh token in the body is the proof, whoever sends it"),
    row("POST", "/api/auth/logout", (401, 204, 401, 401), fresh_tokens,
        note="another user's refresh token (an admin's too) is refused as invalid, not forbidden"),
    row("GET", "/api/users/me", (401, 200, 200, 200), shared()),
    row("PATCH", "/api/users/me", (401, 200, 200, 200), shared(json={"country": "Norway"})),
    row("POST", "/api/users/me/email", (401, 202, 202, 202), fresh_email_change),
    row("POST", "/api/users/me/email/confirm", (200, 200, 200, 200), fresh_email_token,
        note="no sign-in: the emailed token is the proof"),
    row("GET", "/api/users/me/email/confirm", (200, 200, 200, 200), shared(), note="a static page"),
    row("POST", "/api/users/me/avatar", (401, 200, 200, 200), shared(files=_image)),
    row("POST", "/api/uploads", (401, 201, 201, 201), shared(files=_image)),
    row("GET", "/api/users", (200, 200, 200, 200), shared(), note="public profiles"),
    row("GET", "/api/users", (403, 403, 403, 200), shared(query=lambda w: {"email": w.owner.email}),
        variant="email filter", note="finding an account by email is for admins, even one's own"),
    row("GET", "/api/users/{user_id:int}", (401, 403, 403, 200), shared(user_id="owner_id"),
        note="admin only, even for the user it names"),
    row("PUT", "/api/users/{user_id:int}", (401, 403, 403, 200), fresh_user_replacement),
    row("PATCH", "/api/users/{user_id:int}", (401, 403, 403, 200), fresh_user_patch),
    row("DELETE", "/api/users/{user_id:int}", (401, 403, 403, 204), fresh_user),
    # -- tasks: every user sees every task; only its creator or performer changes it
    row("GET", "/api/tasks", (401, 200, 200, 200), shared()),
    row("POST", "/api/tasks", (401, 201, 201, 201),
        shared(json=lambda _: {"name": f"Task {serial()}", "due_date": _later(10)})),
    row("GET", "/api/tasks/{task_id:int}", (401, 200, 200, 200), shared()),
    row("PATCH", "/api/tasks/{task_id:int}", (401, 200, 403, 403), fresh_task,
        note="tasks are visible to all, so a stranger's change is a 403, not a 404; admins too"),
    row("POST", "/api/tasks/{task_id:int}/comments", (401, 201, 201, 201), shared(json={"text": "Looks good."})),
    # -- catalog and reading
    row("GET", "/api/books", (200, 200, 200, 200), shared()),
    row("POST", "/api/books", (401, 403, 403, 201), shared(json=book_body)),
    row("GET", "/api/books/{book_id:int}", (200, 200, 200, 200), shared()),
    row("PUT", "/api/books/{book_id:int}", (401, 403, 403, 200), fresh_book_replacement),
    row("PATCH", "/api/books/{book_id:int}", (401, 403, 403, 200), fresh_book_patch),
    row("DELETE", "/api/books/{book_id:int}", (401, 403, 403, 204), fresh_book),
    row("POST", "/api/books/{book_id:int}/reading/start", (401, 201, 201, 201), fresh_book),
    row("POST", "/api/books/{book_id:int}/reading/end", (401, 200, 409, 409), fresh_open_reading,
        note="the owner's open session is theirs alone: others have none of this book open (409)"),
    row("GET", "/api/reading-sessions", (401, 200, 200, 200), shared()),
    row("GET", "/api/reading-sessions", (401, 200, 403, 200), shared(query=owner_filter), variant="owner's user_id"),
    row("POST", "/api/reading-sessions", (401, 403, 403, 201), shared(json=reading_record)),
    row("GET", "/api/reading-sessions/totals", (401, 200, 200, 200), shared()),
    row("GET", "/api/reading-sessions/totals", (401, 200, 403, 200), shared(query=owner_filter),
        variant="owner's user_id"),
    row("GET", "/api/reading-sessions/{session_id:int}", (401, 200, 404, 200),
        shared(session_id="reading_session_id")),
    row("DELETE", "/api/reading-sessions/{session_id:int}", (401, 403, 403, 204), fresh_reading_session),
    # -- chat (the owner received the shared message from a bystander)
    row("GET", "/api/chat/messages/{user_id:int}", (401, 200, 200, 200), shared(user_id="bystander_id"),
        note="always the caller's own conversation with that user"),
    row("POST", "/api/chat/messages", (401, 201, 201, 201),
        shared(json=lambda w: {"recipient_id": w.bystander.id, "text": "hi"})),
    row("POST", "/api/chat/messages/{message_id:int}/read", (401, 200, 404, 404), shared()),
    row("POST", "/api/chat/messages/{message_id:int}/read", (401, 200, 403, 404), message_from_other,
        variant="sent by other", note="the sender may not mark it read (403); anyone else 404"),
    row("GET", "/api/chat/rooms/{room:str}/messages", (401, 200, 403, 403), shared(room="org_room"),
        variant="organization room", note="members only, admins included (API.md: 'members only')"),
    row("GET", "/api/chat/rooms/{room:str}/messages", (401, 200, 200, 200), shared(room="lobby"),
        variant="lobby"),
    # -- focus timer
    row("GET", "/api/focus/categories", (401, 200, 200, 200), shared()),
    row("POST", "/api/focus/categories", (401, 201, 201, 201),
        shared(json=lambda _: {"name": f"Deep work {serial()}", "color": "#aa0000"})),
    row("PATCH", "/api/focus/categories/{category_id:int}", (401, 200, 404, 404), fresh_category),
    row("DELETE", "/api/focus/categories/{category_id:int}", (401, 204, 404, 404), fresh_category),
    row("GET", "/api/focus/sessions", (401, 200, 200, 200), shared()),
    row("POST", "/api/focus/sessions", (401, 201, 201, 201), fresh_focus_start),
    row("POST", "/api/focus/sessions/{session_id:int}/stop", (401, 200, 404, 404), fresh_focus_session),
    row("GET", "/api/achievements", (401, 200, 200, 200), shared()),
    row("GET", "/api/stats", (401, 200, 200, 200), shared()),
    row("GET", "/api/music/tracks", (401, 403, 403, 200), shared(), note="premium members and admins"),
    row("POST", "/api/music/tracks", (401, 403, 403, 201),
        shared(json=lambda _: {"title": f"Waves {serial()}", "url": "/media/music/waves.wav"})),
    row("DELETE", "/api/music/tracks/{track_id:int}", (401, 403, 403, 204), fresh_track),
    # -- circulation
    row("GET", "/api/borrowings", (401, 200, 200, 200), shared()),
    row("GET", "/api/borrowings", (401, 200, 403, 200), shared(query=owner_filter), variant="owner's user_id"),
    row("POST", "/api/borrowings", (401, 201, 201, 201), fresh_borrow),
    row("GET", "/api/borrowings/overdue", (401, 403, 403, 200), shared()),
    row("GET", "/api/borrowings/{borrowing_id:int}", (401, 200, 404, 200), shared()),
    row("POST", "/api/borrowings/{borrowing_id:int}/return", (401, 200, 404, 200), fresh_borrowing),
    row("POST", "/api/books/{book_id:int}/holds", (401, 201, 201, 201), fresh_empty_book),
    row("GET", "/api/holds", (401, 200, 200, 200), shared()),
    row("DELETE", "/api/holds/{hold_id:int}", (401, 204, 404, 204), fresh_hold,
        note="API.md says (owner); the use case lets admins too, as for borrowings (owner or admin)"),
    # -- payments
    row("GET", "/api/payments", (401, 200, 200, 200), shared()),
    row("GET", "/api/payments", (401, 200, 403, 200), shared(query=owner_filter), variant="owner's user_id"),
    row("GET", "/api/payments/{payment_id:int}", (401, 200, 404, 200), shared()),
    row("GET", "/api/payments/success", (200, 200, 200, 200), fresh_paid_session,
        note="the checkout's redirect: the session id is the capability, no sign-in"),
    row("GET", "/api/payments/cancel", (200, 200, 200, 200),
        shared(query=lambda w: {"session_id": w.ids["session_id"]})),
    row("POST", "/api/payments/{payment_id:int}/renew", (401, 200, 404, 403), fresh_expired_payment,
        note="only the payer renews: an admin gets 403, another user 404"),
    row("POST", "/api/payments/webhook", (400, 400, 400, 400),
        shared(json={"id": "evt_forged", "type": "checkout.session.completed"}),
        note="no signature (and no secret configured): refused whoever sends it"),
    row("POST", "/api/premium/checkout", (401, 201, 201, 201), fresh_owner),
    row("GET", "/api/payments/sandbox/{session_id:str}", (200, 200, 200, 200), shared(),
        note="the sandbox's stand-in for Stripe's hosted page: the session id is the capability"),
    row("POST", "/api/payments/sandbox/{session_id:str}", (303, 303, 303, 303), fresh_unpaid_session,
        note="as on Stripe's page, anyone holding the session id may pay it"),
    # -- organizations and events
    row("GET", "/api/organizations", (401, 200, 200, 200), shared()),
    row("POST", "/api/organizations", (401, 201, 201, 201), shared(json=lambda _: {"title": f"Club {serial()}"})),
    row("GET", "/api/organizations/{organization_id:int}", (401, 200, 200, 200), shared()),
    row("POST", "/api/organizations/{organization_id:int}/members/{user_id:int}", (401, 200, 403, 200),
        fresh_organization_and_newcomer, note="members, and admins (API.md says members; the use case adds admins)"),
    row("DELETE", "/api/organizations/{organization_id:int}/members/{user_id:int}", (401, 204, 403, 204),
        fresh_organization_with_member),
    row("GET", "/api/events", (401, 200, 200, 200), shared()),
    row("POST", "/api/events", (401, 202, 202, 202), shared(json={"title": "Open evening"}),
        variant="no organization"),
    row("POST", "/api/events", (401, 202, 403, 202),
        shared(json=lambda w: {"title": "Members' evening", "organization_ids": [w.ids["organization_id"]]}),
        variant="for an organization"),
    row("GET", "/api/events/{event_id:int}", (401, 200, 200, 200), shared()),
    row("GET", "/api/events/{event_id:int}/calendar.ics", (401, 200, 200, 200), shared()),
]
# fmt: on

CASES = [pytest.param(r, role, id=r.case_id(role)) for r in MATRIX for role in ROLES]


def render(path: str, params: dict[str, Any]) -> str:
    return re.sub(r"{(\w+):\w+}", lambda m: str(params[m.group(1)]), path)


@pytest.fixture(scope="module")
async def world(
    backend: str, engines: dict[str, AsyncEngine], database_urls: dict[str, str], tmp_path_factory: Any
) -> AsyncIterator[World]:
    """One world per backend for the whole module (the cases only add to it)."""
    engine = engines[backend]
    await empty_all_tables(engine)
    settings = make_settings(
        database_urls[backend], tmp_path_factory.mktemp("matrix"), scheduler="off", event_publish_delay_seconds=0
    )
    container = build_container(settings)
    container.gateways.engine.override(providers.Object(engine))
    async with AsyncTestClient(create_app(container), base_url="http://testserver.local") as client:
        built = await build_world(Api(client, container), engine)
        built.ids.update(
            owner_id=built.owner.id,
            bystander_id=built.bystander.id,
            org_room=f"org:{built.ids['organization_id']}",
            lobby="lobby",
        )
        yield built


@pytest.mark.parametrize(("entry", "role"), CASES)
async def test_the_route_answers_the_role_as_the_matrix_says(world: World, entry: Row, role: str) -> None:
    scene = await entry.setup(world)
    who = {"anonymous": None, "owner": scene.owner or world.owner, "other": world.other, "admin": world.admin}[role]
    expected = entry.expect[role]
    refused = expected >= 400
    before = await snapshot(world.engine) if refused else None
    response = await world.call(
        entry.method,
        render(entry.path, scene.params),
        who,
        json=scene.json,
        files=scene.files,
        params=scene.query,
        follow_redirects=False,
    )
    record("routes x roles checked", 1)
    assert response.status_code == expected, f"{entry.case_id(role)}: {response.status_code} {response.text[:300]}"
    if before is not None:
        after = await snapshot(world.engine)
        changed = sorted(name for name in before if before[name] != after[name])
        assert changed == [], f"{entry.case_id(role)} was refused ({expected}) yet changed {changed}"


# -- the matrix covers the app, and the app documents every route --------------------------------
#: Served by the app but not rows of the matrix, each for a reason:
#: * OPTIONS: Litestar's automatic preflight answer on every path (no handler of ours runs);
#: * /schema…: the OpenAPI document and its viewers, public and generated by Litestar;
#: * /media/…: static files (public by design: unguessable names, no database);
#: * /admin: the sqladmin UI, an ASGI mount with its own session login (tests/integration/admin);
#: * /socket.io is not an HTTP route of the Litestar app (entrypoints/asgi.py mounts it beside).
NOT_IN_MATRIX = ("/schema", "/media/", "/admin")


def bare_app(tmp_path: Path) -> Litestar:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}", tmp_path, scheduler="off")
    return create_app(build_container(settings))


def served_routes(app: Litestar) -> set[tuple[str, str]]:
    served = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(NOT_IN_MATRIX):
            continue
        served |= {(method, route.path) for method in route.methods if method not in {"OPTIONS", "HEAD"}}
    return served


def test_every_route_has_a_row_and_every_row_a_route(tmp_path: Path) -> None:
    served = served_routes(bare_app(tmp_path))
    rows = {(entry.method, entry.path) for entry in MATRIX}
    assert sorted(served - rows) == [], "routes without a row in MATRIX"
    assert sorted(rows - served) == [], "rows for routes the app does not serve"


async def test_every_route_is_in_the_openapi_document(tmp_path: Path) -> None:
    app = bare_app(tmp_path)
    async with AsyncTestClient(app) as client:
        response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    documented = {
        (method.upper(), path)
        for path, item in response.json()["paths"].items()
        for method in item
        if method != "parameters"
    }
    served = {(method, re.sub(r":\w+}", "}", path)) for method, path in served_routes(app)}
    assert sorted(served - documented) == [], "routes missing from GET /schema/openapi.json"
