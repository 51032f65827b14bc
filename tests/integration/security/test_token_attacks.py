"""Token attacks (RFC 8725) against the running service: over HTTP (``GET /api/users/me``,
``POST /api/auth/refresh``) and over a Socket.IO connect, every forged, broken, stale or
revoked token is refused with 401 (Socket.IO: the connection is refused with a 401 problem).

Every forgery is signed, where it is signed, with the service's own key and carries the
claims of a real user, so that each one fails for its own reason: a hand-made token with
correct claims (the control) is accepted on both channels.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
import socketio
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import users
from entrypoints.container import App
from tests.figures import record
from tests.integration.conftest import TEST_SECRET
from tests.integration.socketio.conftest import Chatter, LiveServer, serve
from tests.integration.support import PASSWORD, assert_problem

OTHER_KEY = "another-deployment-secret-key-of-32-bytes-or-more"
HEADER = {"alg": "HS256", "typ": "JWT"}
DROP = object()


@pytest.fixture
async def live(container: App) -> AsyncIterator[LiveServer]:
    async with serve(container) as server:
        yield server


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}.{b64(signature)}"


def hmac_signed(header: dict[str, Any], claims: Any, key: str = TEST_SECRET, digest: str = "sha256") -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(key.encode(), signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64(signature)}"


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def access_claims(user_id: int, **changes: Any) -> dict[str, Any]:
    """What the service writes into an access token for ``user_id``, with ``changes``."""
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, Any] = {
        "iss": "athenaeum",
        "sub": str(user_id),
        "iat": now - 5,
        "nbf": now - 5,
        "exp": now + 600,
        "jti": "forged-jti",
        "typ": "access",
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not DROP}


def forgeries(user_id: int, access: str, refresh: str) -> dict[str, str]:
    """Tokens an attacker might try, each for a real, active user."""
    now = int(datetime.now(UTC).timestamp())
    good = access_claims(user_id)
    header, _, signature = access.split(".")
    someone_else = claims_of(access) | {"sub": str(user_id + 1)}
    return {
        "alg-none": unsigned({"alg": "none", "typ": "JWT"}, good),
        "alg-None": unsigned({"alg": "None", "typ": "JWT"}, good),
        "alg-NONE-with-signature": unsigned({"alg": "NONE"}, good, b"signature"),
        "hs512-with-our-key": hmac_signed({"alg": "HS512", "typ": "JWT"}, good, digest="sha512"),
        "hs384-with-our-key": hmac_signed({"alg": "HS384", "typ": "JWT"}, good, digest="sha384"),
        "hs256-signature-under-hs512-header": hmac_signed({"alg": "HS512", "typ": "JWT"}, good),
        "rs256-header": unsigned({"alg": "RS256", "typ": "JWT"}, good, b"\x01" * 256),
        "rs256-header-hmac-signed-with-our-key": hmac_signed({"alg": "RS256", "typ": "JWT"}, good),
        "es256-header": unsigned({"alg": "ES256", "typ": "JWT"}, good, b"\x02" * 64),
        "embedded-jwk": unsigned(
            {"alg": "RS256", "jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}}, good, b"\x03" * 256
        ),
        "kid-path-traversal-empty-key": hmac_signed({"alg": "HS256", "kid": "../../../../dev/null"}, good, key=""),
        "jku-header": unsigned({"alg": "RS256", "jku": "https://evil.example/jwks.json"}, good, b"\x04" * 256),
        "another-key": hmac_signed(HEADER, good, key=OTHER_KEY),
        "empty-key": hmac_signed(HEADER, good, key=""),
        "missing-exp": hmac_signed(HEADER, access_claims(user_id, exp=DROP)),
        "missing-sub": hmac_signed(HEADER, access_claims(user_id, sub=DROP)),
        "missing-iat": hmac_signed(HEADER, access_claims(user_id, iat=DROP)),
        "missing-jti": hmac_signed(HEADER, access_claims(user_id, jti=DROP)),
        "missing-iss": hmac_signed(HEADER, access_claims(user_id, iss=DROP)),
        "missing-typ": hmac_signed(HEADER, access_claims(user_id, typ=DROP)),
        "null-exp": hmac_signed(HEADER, access_claims(user_id, exp=None)),
        "exp-as-text": hmac_signed(HEADER, access_claims(user_id, exp="tomorrow")),
        "wrong-issuer": hmac_signed(HEADER, access_claims(user_id, iss="someone-else")),
        "expired": hmac_signed(HEADER, access_claims(user_id, iat=now - 1000, nbf=now - 1000, exp=now - 1)),
        "nbf-in-the-future": hmac_signed(HEADER, access_claims(user_id, nbf=now + 3600)),
        "iat-in-the-future": hmac_signed(HEADER, access_claims(user_id, iat=now + 3600, nbf=now + 3600)),
        "sub-as-number": hmac_signed(HEADER, access_claims(user_id, sub=user_id)),
        "sub-not-a-user-id": hmac_signed(HEADER, access_claims(user_id, sub="admin")),
        "sub-of-nobody": hmac_signed(HEADER, access_claims(user_id, sub="987654321")),
        "sub-negative": hmac_signed(HEADER, access_claims(user_id, sub="-1")),
        "typ-refresh": hmac_signed(HEADER, access_claims(user_id, typ="refresh", fam="family")),
        "typ-id": hmac_signed(HEADER, access_claims(user_id, typ="id")),
        "claims-a-list": hmac_signed(HEADER, [good]),
        "refresh-token-as-access": refresh,
        "tampered-sub-old-signature": f"{header}.{b64(json.dumps(someone_else).encode())}.{signature}",
        "signature-stripped": access.rsplit(".", 1)[0] + ".",
        "signature-flipped": access[:-3] + ("AAA" if not access.endswith("AAA") else "BBB"),
        "garbage": "not.a.token",
    }


async def http_refused(live: LiveServer, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    assert_problem(await live.http.get("/api/users/me", headers=headers), 401)
    # The two writes that check the account inside their own transaction (no separate
    # authentication first) refuse it as well, before anything else is looked at.
    assert_problem(await live.http.post("/api/books/1/reading/start", headers=headers), 401)
    borrow = {"book_id": 1, "expected_return_date": "2999-01-01"}
    assert_problem(await live.http.post("/api/borrowings", headers=headers, json=borrow), 401)


async def socket_refused(live: LiveServer, token: str) -> None:
    chatter = Chatter()
    errors: list[Any] = []
    chatter.sio.on("connect_error", errors.append, namespace="/chat")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await chatter.connect(live.url, token=token)
    assert errors, "the refusal carries a problem"
    assert errors[0]["data"]["status"] == 401, errors[0]


async def socket_accepted(live: LiveServer, token: str) -> None:
    chatter = Chatter()
    live.chatters.append(chatter)
    await chatter.connect(live.url, token=token)
    assert chatter.sio.connected


async def test_the_control_token_is_accepted_on_both_channels(live: LiveServer) -> None:
    """Hand-made with the service's key and correct claims: accepted. The forgeries below
    differ from it in one respect each."""
    ada = await live.person()
    control = hmac_signed(HEADER, access_claims(ada.id))
    me = await live.http.get("/api/users/me", headers={"Authorization": f"Bearer {control}"})
    assert me.status_code == 200, me.text
    assert me.json()["id"] == ada.id
    await socket_accepted(live, control)
    # and PyJWT itself, with the service's settings, agrees
    decoded = jwt.decode(control, TEST_SECRET, algorithms=["HS256"], issuer="athenaeum")
    assert decoded["sub"] == str(ada.id)


async def test_forged_tokens_are_refused_over_http_and_socketio(live: LiveServer) -> None:
    ada = await live.person()
    login = await live.http.post("/api/auth/login", json={"username": ada.username, "password": PASSWORD})
    refresh = login.json()["refresh"]
    forged = forgeries(ada.id, ada.access, refresh)
    failures: list[str] = []
    for name, token in forged.items():
        for channel, check in (("http", http_refused), ("socketio", socket_refused)):
            try:
                await check(live, token)
            except AssertionError as exc:  # collect them all, report at once
                failures.append(f"{name} over {channel}: {exc}")
            record("forged tokens tried")
    assert not failures, "\n".join(failures)
    # The real token still works: nothing above broke the account.
    assert (await live.http.get("/api/users/me", headers=ada.headers)).status_code == 200
    await socket_accepted(live, ada.access)


async def refresh(live: LiveServer, token: str) -> Any:
    return await live.http.post("/api/auth/refresh", json={"refresh": token})


async def test_a_reused_rotated_refresh_token_revokes_the_whole_family(live: LiveServer) -> None:
    ada = await live.person()
    first = (await live.http.post("/api/auth/login", json={"username": ada.username, "password": PASSWORD})).json()
    other_device = (
        await live.http.post("/api/auth/login", json={"username": ada.username, "password": PASSWORD})
    ).json()
    rotated = await refresh(live, first["refresh"])
    assert rotated.status_code == 200
    fresh = rotated.json()

    assert_problem(await refresh(live, first["refresh"]), 401)  # the replay (a thief, or the victim)
    assert_problem(await refresh(live, fresh["refresh"]), 401)  # the fresh one died with its family
    record("forged tokens tried", 2)
    # Another login's family is untouched.
    assert (await refresh(live, other_device["refresh"])).status_code == 200


async def test_concurrent_replays_of_one_refresh_token_rotate_at_most_once(live: LiveServer) -> None:
    ada = await live.person()
    tokens = (await live.http.post("/api/auth/login", json={"username": ada.username, "password": PASSWORD})).json()
    responses = await asyncio.gather(*(refresh(live, tokens["refresh"]) for _ in range(6)))
    record("forged tokens tried", 5)
    assert sorted(r.status_code for r in responses) == [200] + [401] * 5
    [winner] = [r for r in responses if r.status_code == 200]
    # the replays that lost the race revoked the family: the winner's successor is dead too
    assert_problem(await refresh(live, winner.json()["refresh"]), 401)


async def test_a_refresh_token_after_logout_is_refused(live: LiveServer) -> None:
    ada = await live.person()
    tokens = (await live.http.post("/api/auth/login", json={"username": ada.username, "password": PASSWORD})).json()
    headers = {"Authorization": f"Bearer {tokens['access']}"}
    out = await live.http.post("/api/auth/logout", json={"refresh": tokens["refresh"]}, headers=headers)
    assert out.status_code == 204
    assert_problem(await refresh(live, tokens["refresh"]), 401)
    record("forged tokens tried")


async def test_a_deactivated_users_tokens_are_refused_everywhere(live: LiveServer, engine: AsyncEngine) -> None:
    ada = await live.person()
    tokens = (await live.http.post("/api/auth/login", json={"username": ada.username, "password": PASSWORD})).json()
    await socket_accepted(live, tokens["access"])  # works before
    async with engine.begin() as conn:
        await conn.execute(update(users).where(users.c.id == ada.id).values(is_active=False))

    await http_refused(live, tokens["access"])
    await socket_refused(live, tokens["access"])
    assert_problem(await refresh(live, tokens["refresh"]), 401)
    record("forged tokens tried", 3)


async def test_a_deleted_users_tokens_are_refused(live: LiveServer, engine: AsyncEngine) -> None:
    ada = await live.person()
    async with engine.begin() as conn:
        await conn.execute(users.delete().where(users.c.id == ada.id))
    await http_refused(live, ada.access)
    await socket_refused(live, ada.access)
    record("forged tokens tried", 2)


# --------------------------------------------------------------------------- the codec's PyJWT call

Decode = Callable[..., Any]


def test_pyjwt_is_called_with_one_pinned_algorithm_and_required_claims(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not only refused in practice: the codec asks PyJWT to pin HS256 and require the claims."""
    from adapters.security import jwt_tokens

    calls: list[dict[str, Any]] = []
    real: Decode = jwt.decode

    def spy(token: str, key: str, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(token, key, **kwargs)

    monkeypatch.setattr(jwt_tokens.jwt, "decode", spy)
    codec = jwt_tokens.JwtTokenCodec(TEST_SECRET, timedelta(minutes=15))
    codec.decode_access(codec.encode_access(42, datetime.now(UTC)))  # type: ignore[arg-type]
    [kwargs] = calls
    assert kwargs["algorithms"] == ["HS256"]
    assert set(kwargs["options"]["require"]) >= {"exp", "iat", "sub", "jti", "iss", "typ"}
    assert kwargs["issuer"] == "athenaeum"
    assert kwargs["options"].get("verify_signature", True) is True
