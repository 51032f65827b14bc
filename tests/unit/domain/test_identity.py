"""Identity rules: the password policy, emails and usernames, login back-off, refresh rotation."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from adapters.security.passwords import common_passwords
from domain.errors import InvalidValue
from domain.identity import (
    LoginThrottle,
    PasswordPolicy,
    RefreshToken,
    RefreshTokenReused,
    TokenInvalid,
    User,
    normalize_email,
    validate_country,
    validate_username,
)
from domain.shared import UserId

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
COMMON = common_passwords()
POLICY = PasswordPolicy(common=COMMON)
# Common passwords that only the common-password rule can refuse (long enough, not all digits).
LONG_COMMON = sorted(p for p in COMMON if len(p) >= 8 and not p.isdigit())
COMMON_SAMPLE = random.Random(20261122).sample(LONG_COMMON, 300)


def refused_field(call: object, *args: object, **kwargs: object) -> str:
    return refusal(call, *args, **kwargs).field


def refusal(call: object, *args: object, **kwargs: object) -> InvalidValue:
    with pytest.raises(InvalidValue) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value


# --------------------------------------------------------------------------- password policy


def test_the_common_password_list_is_loaded() -> None:
    assert len(COMMON) > 19_000
    assert {"password", "qwertyuiop", "iloveyou"} <= COMMON


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", "at least 8"),
        ("", "at least 8"),
        ("password", "too common"),
        ("PassWord", "too common"),
        ("QWERTYUIOP", "too common"),
        ("83920174659", "numeric"),
        ("x" * 129, "at most 128"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        POLICY.check(password)
    assert caught.value.field == "password"
    assert reason in caught.value.detail


def test_a_password_equal_to_the_username_or_email_is_refused() -> None:
    for password, personal in [
        ("Ada.Lovelace", {"username": "ada.lovelace"}),
        ("ada.lovelace@example.org", {"email": "ada.lovelace@example.org"}),
        ("Analytical-Engine", {"email": "analytical-engine@example.org"}),
    ]:
        error = refusal(POLICY.check, password, **personal)
        assert error.field == "password"
        assert "similar" in error.detail
        POLICY.check(password)  # fine for somebody else


def test_a_good_passphrase_is_accepted() -> None:
    POLICY.check("correct horse battery staple", username="ada", email="ada@example.org")
    POLICY.check("x" * 128)


@given(st.text(min_size=8, max_size=128), st.text(max_size=20))
def test_any_long_enough_uncommon_non_numeric_password_other_than_the_username_is_accepted(
    password: str, username: str
) -> None:
    assume(password.lower() not in COMMON)
    assume(not password.isdigit())
    assume(password.lower() != username.lower())
    POLICY.check(password, username=username)


@given(st.text(max_size=7))
def test_a_password_shorter_than_eight_characters_is_always_refused(password: str) -> None:
    assert refused_field(POLICY.check, password) == "password"


@given(st.sampled_from(COMMON_SAMPLE), st.sampled_from([str.lower, str.upper, str.title, str.swapcase]))
def test_every_common_password_is_refused_in_any_case(common: str, recase: object) -> None:
    password = recase(common)  # type: ignore[operator]
    with pytest.raises(InvalidValue, match="too common"):
        POLICY.check(password)


# --------------------------------------------------------------------------- emails and usernames


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("ada@example.org", "ada@example.org"),
        ("  Ada.Lovelace@Example.ORG ", "ada.lovelace@example.org"),
        ("a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(raw: str, normalized: str) -> None:
    assert normalize_email(raw) == normalized


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "ada",
        "ada@",
        "@example.org",
        "ada@example",
        "ada@example.o",
        "ada@@example.org",
        "ada lovelace@example.org",
        "ada@exam ple.org",
        "a" * 65 + "@example.org",
        "ada@" + "e" * 250 + ".org",
        "ada\x00@example.org",
        "ada@exam\x01ple.org",
        "ada@example.or\x7fg",
    ],
)
def test_invalid_emails_are_refused(raw: str) -> None:
    assert refused_field(normalize_email, raw) == "email"


@given(st.emails())
def test_normalizing_a_valid_email_is_idempotent_and_lower_case(email: str) -> None:
    assume(len(email) <= 254)
    once = normalize_email(email)
    assert once == email.lower()
    assert normalize_email(once) == once


@given(st.from_regex(r"[\w.@+-]{3,150}", fullmatch=True), st.sampled_from(["", " ", "\t"]))
def test_usernames_of_allowed_characters_are_accepted_and_trimmed(username: str, padding: str) -> None:
    assert validate_username(padding + username + padding) == username


@pytest.mark.parametrize("raw", ["", "ab", "a" * 151, "ada lovelace", "ada/..", "ada;drop", "ada\x00", "ada\nbob"])
def test_invalid_usernames_are_refused(raw: str) -> None:
    assert refused_field(validate_username, raw) == "username"


@pytest.mark.parametrize("country", ["U\x00K", "\x1bUK", "x" * 65])
def test_invalid_countries_are_refused(country: str) -> None:
    assert refused_field(validate_country, country) == "country"


def test_registering_a_user_validates_and_normalizes_every_field() -> None:
    user = User.register(
        username=" ada ", email="Ada@Example.org", password_hash="h", now=NOW, phone=" +44 20 7946 0958 ", country=""
    )
    assert (user.username, user.email, user.phone, user.country) == ("ada", "ada@example.org", "+44 20 7946 0958", None)
    assert user.is_active
    assert not user.is_admin
    assert not user.is_premium
    future = (NOW + timedelta(days=1)).date()
    assert (
        refused_field(User.register, username="ada", email="a@b.org", password_hash="h", now=NOW, date_of_birth=future)
        == "date_of_birth"
    )
    assert (
        refused_field(User.register, username="ada", email="a@b.org", password_hash="h", now=NOW, phone="call me")
        == "phone"
    )


# --------------------------------------------------------------------------- login throttle

THROTTLE = LoginThrottle()  # 5 failures within 15 minutes
WINDOW_SECONDS = int(THROTTLE.window.total_seconds())
ages = st.lists(st.integers(min_value=0, max_value=2 * WINDOW_SECONDS), max_size=12)


def failures_at(ages_in_seconds: list[int]) -> list[datetime]:
    return [NOW - timedelta(seconds=age) for age in ages_in_seconds]


def test_five_failures_within_fifteen_minutes_lock_until_the_first_of_them_ages_out() -> None:
    failures = failures_at([600, 300, 120, 60, 0])
    assert THROTTLE.retry_after(failures[:4], NOW) is None
    assert THROTTLE.retry_after(failures, NOW) == timedelta(minutes=5)  # 900 s window - 600 s age
    assert THROTTLE.retry_after(failures, NOW + timedelta(minutes=5) - timedelta(microseconds=1)) is not None
    assert THROTTLE.retry_after(failures, NOW + timedelta(minutes=5)) is None


def test_failures_older_than_the_window_do_not_count() -> None:
    assert THROTTLE.retry_after(failures_at([WINDOW_SECONDS, 300, 120, 60, 0]), NOW) is None
    assert THROTTLE.retry_after(failures_at([WINDOW_SECONDS - 1, 300, 120, 60, 0]), NOW) == timedelta(seconds=1)


@given(ages)
def test_the_account_locks_exactly_when_max_failures_are_inside_the_window(ages_in_seconds: list[int]) -> None:
    inside = [age for age in ages_in_seconds if age < WINDOW_SECONDS]
    locked = THROTTLE.retry_after(failures_at(ages_in_seconds), NOW) is not None
    assert locked == (len(inside) >= THROTTLE.max_failures)


@given(ages)
def test_a_lock_never_lasts_longer_than_the_window(ages_in_seconds: list[int]) -> None:
    wait = THROTTLE.retry_after(failures_at(ages_in_seconds), NOW)
    assert wait is None or timedelta(0) < wait <= THROTTLE.window


@given(ages)
def test_the_lock_lifts_once_enough_failures_age_out(ages_in_seconds: list[int]) -> None:
    failures = failures_at(ages_in_seconds)
    wait = THROTTLE.retry_after(failures, NOW)
    assume(wait is not None)
    assert wait is not None
    assert THROTTLE.retry_after(failures, NOW + wait - timedelta(microseconds=1)) is not None
    assert THROTTLE.retry_after(failures, NOW + wait) is None
    assert THROTTLE.retry_after(failures, NOW + THROTTLE.window) is None


@given(st.integers(min_value=1, max_value=10), ages)
def test_the_threshold_is_configurable(max_failures: int, ages_in_seconds: list[int]) -> None:
    throttle = LoginThrottle(max_failures=max_failures)
    inside = [age for age in ages_in_seconds if age < WINDOW_SECONDS]
    locked = throttle.retry_after(failures_at(ages_in_seconds), NOW) is not None
    assert locked == (len(inside) >= max_failures)


# --------------------------------------------------------------------------- refresh tokens

LIFETIME = timedelta(days=7)


def fresh_token(**changes: object) -> RefreshToken:
    values: dict[str, object] = {
        "jti": "jti-1",
        "family_id": "family-1",
        "user_id": UserId(7),
        "issued_at": NOW,
        "expires_at": NOW + LIFETIME,
    }
    values.update(changes)
    return RefreshToken(**values)  # type: ignore[arg-type]


def test_rotation_uses_up_the_token_and_issues_a_successor_of_the_same_family() -> None:
    token = fresh_token()
    later = NOW + timedelta(hours=1)
    successor = token.successor("jti-2", later, LIFETIME)
    assert token.used_at == later
    assert (successor.jti, successor.family_id, successor.user_id) == ("jti-2", "family-1", UserId(7))
    assert successor.issued_at == later
    assert successor.expires_at == later + LIFETIME
    successor.check_usable(later)


def test_a_used_token_presented_again_is_a_reuse() -> None:
    token = fresh_token()
    token.successor("jti-2", NOW, LIFETIME)
    with pytest.raises(RefreshTokenReused):
        token.check_usable(NOW)
    with pytest.raises(RefreshTokenReused):
        token.successor("jti-3", NOW, LIFETIME)


@pytest.mark.parametrize(
    "token",
    [
        fresh_token(expires_at=NOW),
        fresh_token(expires_at=NOW - timedelta(seconds=1)),
        fresh_token(revoked_at=NOW - timedelta(minutes=1)),
        # A revoked family stays dead: a used and revoked token is not a new "reuse".
        fresh_token(revoked_at=NOW - timedelta(minutes=1), used_at=NOW - timedelta(minutes=2)),
    ],
    ids=["expires-now", "expired", "revoked", "used-and-revoked"],
)
def test_expired_or_revoked_tokens_are_invalid(token: RefreshToken) -> None:
    used_before = token.used_at
    with pytest.raises(TokenInvalid) as caught:
        token.successor("jti-2", NOW, LIFETIME)
    assert not isinstance(caught.value, RefreshTokenReused)
    assert token.used_at == used_before


@given(st.lists(st.integers(min_value=0, max_value=6 * 24 * 3600), min_size=1, max_size=10))
def test_a_chain_of_rotations_stays_in_one_family_and_only_the_newest_token_works(gaps: list[int]) -> None:
    chain = [fresh_token()]
    moment = NOW
    for number, gap in enumerate(gaps, start=2):
        moment += timedelta(seconds=gap)
        chain.append(chain[-1].successor(f"jti-{number}", moment, LIFETIME))
    assert {token.family_id for token in chain} == {"family-1"}
    chain[-1].check_usable(moment)
    for older in chain[:-1]:
        # Still within its lifetime it is a reuse (the family must go); past it, simply invalid.
        expected = RefreshTokenReused if older.expires_at > moment else TokenInvalid
        with pytest.raises(expected):
            older.check_usable(moment)
