"""JWTs (RFC 8725): only our own, complete, current, correctly typed tokens are accepted.

The codec is pure (PyJWT and the standard library), so these are unit tests.
"""

from __future__ import annotations

import base64
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.security import jwt_tokens
from adapters.security.jwt_tokens import JwtTokenCodec
from domain.identity import RefreshToken, TokenInvalid
from domain.shared import UserId

KEY = "unit-test-secret-key-of-at-least-32-bytes"
OTHER_KEY = "another-secret-key-that-is-also-32-bytes-long"
CODEC = JwtTokenCodec(KEY, timedelta(minutes=15))


def now() -> datetime:
    return datetime.now(UTC)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A token assembled by hand, signed (or not) however the attacker likes."""
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}.{b64(signature)}"


def hs256(header: dict[str, Any], claims: dict[str, Any], key: str = KEY, digest: str = "sha256") -> str:
    """HMAC-signed by hand (any header, any claims, any digest)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(key.encode(), signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64(signature)}"


def access_claims(**changes: Any) -> dict[str, Any]:
    """The claims of a valid access token (what ``encode_access`` writes)."""
    moment = int(now().timestamp())
    claims: dict[str, Any] = {
        "iss": "athenaeum",
        "sub": "42",
        "iat": moment,
        "nbf": moment,
        "exp": moment + 900,
        "jti": "an-id",
        "typ": "access",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not DROP}


def refresh_claims(**changes: Any) -> dict[str, Any]:
    return access_claims(**{"typ": "refresh", "fam": "family-1", **changes})


DROP = object()


def refresh_token(user_id: int = 42, issued: datetime | None = None) -> RefreshToken:
    issued = issued or now()
    return RefreshToken(
        jti="jti-1",
        family_id="family-1",
        user_id=UserId(user_id),
        issued_at=issued,
        expires_at=issued + timedelta(days=7),
    )


# --------------------------------------------------------------------------- what is accepted


def test_our_own_tokens_decode() -> None:
    moment = now()
    access = CODEC.decode_access(CODEC.encode_access(UserId(42), moment))
    assert access.user_id == 42
    refresh = CODEC.decode_refresh(CODEC.encode_refresh(refresh_token()))
    assert (refresh.user_id, refresh.jti, refresh.family_id) == (42, "jti-1", "family-1")
    # Hand-made tokens with the same claims are accepted too, so the attacks below fail for their own reason.
    assert CODEC.decode_access(hs256({"alg": "HS256", "typ": "JWT"}, access_claims())).user_id == 42
    assert CODEC.decode_refresh(hs256({"alg": "HS256", "typ": "JWT"}, refresh_claims())).family_id == "family-1"


def test_every_access_token_has_its_own_id() -> None:
    moment = now()
    first = CODEC.decode_access(CODEC.encode_access(UserId(1), moment))
    second = CODEC.decode_access(CODEC.encode_access(UserId(1), moment))
    assert first.jti != second.jti


@given(st.integers(min_value=1, max_value=2**63 - 1))
def test_any_user_id_round_trips(user_id: int) -> None:
    assert CODEC.decode_access(CODEC.encode_access(UserId(user_id), now())).user_id == user_id
    assert CODEC.decode_refresh(CODEC.encode_refresh(refresh_token(user_id))).user_id == user_id


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        JwtTokenCodec("too-short", timedelta(minutes=15))


# --------------------------------------------------------------------------- attacks

HEADER = {"alg": "HS256", "typ": "JWT"}


def _tampered_payload() -> str:
    token = CODEC.encode_access(UserId(42), now())
    header, _, signature = token.split(".")
    return f"{header}.{b64(json.dumps(access_claims(sub='1')).encode())}.{signature}"


def _tampered_signature() -> str:
    token = CODEC.encode_access(UserId(42), now())
    flipped = "A" if token[-2] != "A" else "B"
    return token[:-2] + flipped + token[-1]


ACCESS_ATTACKS: dict[str, Callable[[], str]] = {
    "alg-none": lambda: forge({"alg": "none", "typ": "JWT"}, access_claims()),
    "alg-none-with-signature": lambda: forge({"alg": "none"}, access_claims(), b"sig"),
    "alg-None-capitalised": lambda: forge({"alg": "None"}, access_claims()),
    "hs512-with-our-key": lambda: hs256({"alg": "HS512", "typ": "JWT"}, access_claims(), digest="sha512"),
    "hs384-with-our-key": lambda: hs256({"alg": "HS384", "typ": "JWT"}, access_claims(), digest="sha384"),
    "hs256-signature-under-hs512-header": lambda: hs256({"alg": "HS512", "typ": "JWT"}, access_claims()),
    "rs256-header": lambda: forge({"alg": "RS256", "typ": "JWT"}, access_claims(), b"\x00" * 256),
    "rs256-header-hmac-signed": lambda: hs256({"alg": "RS256", "typ": "JWT"}, access_claims()),
    "another-key": lambda: hs256(HEADER, access_claims(), key=OTHER_KEY),
    "missing-exp": lambda: hs256(HEADER, access_claims(exp=DROP)),
    "missing-sub": lambda: hs256(HEADER, access_claims(sub=DROP)),
    "missing-jti": lambda: hs256(HEADER, access_claims(jti=DROP)),
    "missing-iat": lambda: hs256(HEADER, access_claims(iat=DROP)),
    "missing-iss": lambda: hs256(HEADER, access_claims(iss=DROP)),
    "missing-typ": lambda: hs256(HEADER, access_claims(typ=DROP)),
    "wrong-issuer": lambda: hs256(HEADER, access_claims(iss="someone-else")),
    "expired": lambda: hs256(HEADER, access_claims(exp=int(now().timestamp()) - 1)),
    "expired-own": lambda: CODEC.encode_access(UserId(42), now() - timedelta(minutes=16)),
    "not-yet-valid": lambda: hs256(HEADER, access_claims(nbf=int(now().timestamp()) + 3600)),
    "issued-in-the-future": lambda: CODEC.encode_access(UserId(42), now() + timedelta(hours=1)),
    "exp-not-a-number": lambda: hs256(HEADER, access_claims(exp="tomorrow")),
    "non-numeric-sub": lambda: hs256(HEADER, access_claims(sub="admin")),
    "negative-sub": lambda: hs256(HEADER, access_claims(sub="-1")),
    "fractional-sub": lambda: hs256(HEADER, access_claims(sub="1.5")),
    "empty-sub": lambda: hs256(HEADER, access_claims(sub="")),
    "integer-sub": lambda: hs256(HEADER, access_claims(sub=42)),
    "jti-not-a-string": lambda: hs256(HEADER, access_claims(jti=7)),
    "refresh-as-access": lambda: CODEC.encode_refresh(refresh_token()),
    "unknown-typ": lambda: hs256(HEADER, access_claims(typ="id")),
    "tampered-payload": _tampered_payload,
    "tampered-signature": _tampered_signature,
    "no-signature": lambda: CODEC.encode_access(UserId(42), now()).rsplit(".", 1)[0] + ".",
    "empty": lambda: "",
    "garbage": lambda: "not.a.token",
    "two-parts": lambda: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9",
    "payload-not-json": lambda: f"{b64(json.dumps(HEADER).encode())}.{b64(b'[1, 2')}.{b64(b'x')}",
    "payload-a-list": lambda: hs256(HEADER, [1, 2]),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("make", ACCESS_ATTACKS.values(), ids=ACCESS_ATTACKS.keys())
def test_forged_or_broken_access_tokens_are_refused(make: Callable[[], str]) -> None:
    with pytest.raises(TokenInvalid):
        CODEC.decode_access(make())


REFRESH_ATTACKS: dict[str, Callable[[], str]] = {
    "access-as-refresh": lambda: CODEC.encode_access(UserId(42), now()),
    "alg-none": lambda: forge({"alg": "none"}, refresh_claims()),
    "hs512-with-our-key": lambda: hs256({"alg": "HS512"}, refresh_claims(), digest="sha512"),
    "another-key": lambda: hs256(HEADER, refresh_claims(), key=OTHER_KEY),
    "missing-family": lambda: hs256(HEADER, refresh_claims(fam=DROP)),
    "family-not-a-string": lambda: hs256(HEADER, refresh_claims(fam=["a"])),
    "missing-jti": lambda: hs256(HEADER, refresh_claims(jti=DROP)),
    "missing-exp": lambda: hs256(HEADER, refresh_claims(exp=DROP)),
    "expired-own": lambda: CODEC.encode_refresh(refresh_token(issued=now() - timedelta(days=8))),
    "non-numeric-sub": lambda: hs256(HEADER, refresh_claims(sub="x1")),
}


@pytest.mark.parametrize("make", REFRESH_ATTACKS.values(), ids=REFRESH_ATTACKS.keys())
def test_forged_or_broken_refresh_tokens_are_refused(make: Callable[[], str]) -> None:
    with pytest.raises(TokenInvalid):
        CODEC.decode_refresh(make())


def test_a_token_signed_by_another_deployment_is_refused() -> None:
    other = JwtTokenCodec(OTHER_KEY, timedelta(minutes=15))
    with pytest.raises(TokenInvalid):
        CODEC.decode_access(other.encode_access(UserId(42), now()))
    with pytest.raises(TokenInvalid):
        CODEC.decode_refresh(other.encode_refresh(refresh_token()))


@given(st.text(max_size=300))
def test_any_string_is_either_refused_cleanly_or_not_a_token_at_all(raw: str) -> None:
    # Never another exception: a 500 instead of a 401 would be an oracle.
    with pytest.raises(TokenInvalid):
        CODEC.decode_access(raw)
    with pytest.raises(TokenInvalid):
        CODEC.decode_refresh(raw)


ACCESS_CLAIMS = ["iss", "sub", "iat", "nbf", "exp", "jti", "typ"]


@given(st.sets(st.sampled_from(ACCESS_CLAIMS), min_size=1))
def test_null_claims_are_refused_in_access_tokens(nulled: set[str]) -> None:
    with pytest.raises(TokenInvalid):
        CODEC.decode_access(hs256(HEADER, access_claims(**dict.fromkeys(nulled))))


@given(st.sets(st.sampled_from([*ACCESS_CLAIMS, "fam"]), min_size=1))
def test_null_claims_are_refused_in_refresh_tokens(nulled: set[str]) -> None:
    with pytest.raises(TokenInvalid):
        CODEC.decode_refresh(hs256(HEADER, refresh_claims(**dict.fromkeys(nulled))))


# --------------------------------------------------------------------------- remembered tokens


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    codec = JwtTokenCodec(KEY, timedelta(seconds=2))
    token = codec.encode_access(UserId(42), now())
    assert codec.decode_access(token).user_id == 42  # verified, then remembered
    assert codec.decode_access(token).user_id == 42  # from memory
    expires = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))["exp"]
    time.sleep(max(0.0, expires - time.time()) + 0.05)
    with pytest.raises(TokenInvalid):
        codec.decode_access(token)


def test_a_remembered_token_changed_in_one_character_is_refused() -> None:
    codec = JwtTokenCodec(KEY, timedelta(minutes=15))
    token = codec.encode_access(UserId(42), now())
    assert codec.decode_access(token).user_id == 42
    for position in (len(token) - 2, token.index(".") + 3):  # the signature, the payload
        changed = token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1 :]
        with pytest.raises(TokenInvalid):
            codec.decode_access(changed)
    assert codec.decode_access(token).user_id == 42


def test_at_most_the_newest_tokens_are_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jwt_tokens, "VERIFIED_CACHE_SIZE", 8)
    codec = JwtTokenCodec(KEY, timedelta(minutes=15))
    tokens = [codec.encode_access(UserId(user), now()) for user in range(1, 21)]
    assert [codec.decode_access(token).user_id for token in tokens] == list(range(1, 21))
    assert list(codec._verified) == tokens[-8:]  # the bound is the point
