"""An email change token: single use, expires, digest only."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.email_change import EMAIL_CHANGE_LIFETIME, EmailChange, EmailChangeTokenInvalid, token_digest
from domain.errors import InvalidValue
from domain.identity import User
from domain.shared import UserId

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def ada() -> User:
    return User(username="ada", email="ada@example.org", password_hash="x", created_at=NOW, id=UserId(1))


def test_a_request_keeps_the_normalized_address_and_only_a_digest_of_the_token():
    change = EmailChange.request(user=ada(), new_email=" Ada@New.Example.org ", token="secret-token", now=NOW)
    assert change.new_email == "ada@new.example.org"
    assert change.token_hash == hashlib.sha256(b"secret-token").hexdigest() == token_digest("secret-token")
    assert change.expires_at == NOW + EMAIL_CHANGE_LIFETIME == NOW + timedelta(hours=24)


@pytest.mark.parametrize("address", ["not an email", "ADA@example.org", ""])
def test_a_request_needs_a_valid_different_address(address: str):
    with pytest.raises(InvalidValue) as error:
        EmailChange.request(user=ada(), new_email=address, token="t", now=NOW)
    assert error.value.field == "new_email"


@given(st.integers(min_value=-10_000, max_value=200_000))
def test_a_token_works_once_and_only_before_it_expires(seconds_later: int):
    change = EmailChange.request(user=ada(), new_email="new@example.org", token="t", now=NOW)
    moment = NOW + timedelta(seconds=seconds_later)
    if moment >= change.expires_at:
        with pytest.raises(EmailChangeTokenInvalid):
            change.redeem(moment)
        return
    assert change.redeem(moment) == "new@example.org"
    with pytest.raises(EmailChangeTokenInvalid):
        change.redeem(moment)
