"""Chat rules: message text, room names, who may see and mark a message."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.chat import MAX_TEXT, ChatMessage, Room, validate_text
from domain.errors import InvalidValue
from domain.shared import UserId

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ADA, BOB, EVE = UserId(1), UserId(2), UserId(3)


@given(st.text(min_size=1, max_size=MAX_TEXT).filter(lambda t: t.strip() and "\x00" not in t))
def test_any_text_with_something_visible_is_kept_exactly(text: str) -> None:
    assert validate_text(text) == text


@given(st.text(alphabet=st.sampled_from(" \t\n\r\u00a0\u2003"), max_size=50))
def test_blank_text_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        validate_text(text)
    assert caught.value.field == "text"


def test_text_has_at_most_4000_characters_and_no_nul() -> None:
    assert validate_text("é" * MAX_TEXT) == "é" * MAX_TEXT
    with pytest.raises(InvalidValue):
        validate_text("é" * (MAX_TEXT + 1))
    with pytest.raises(InvalidValue):
        validate_text("a\x00b")


@given(st.integers(min_value=1, max_value=10**18 - 1))
def test_an_organization_room_round_trips(organization_id: int) -> None:
    room = Room.of_organization(organization_id)
    assert Room.parse(room.name) == room
    assert not room.open_to_everyone


def test_the_lobby_is_open_to_everyone() -> None:
    assert Room.parse("lobby") == Room.lobby()
    assert Room.lobby().open_to_everyone


@pytest.mark.parametrize(
    "name", ["", "Lobby", "lobby ", "org:", "org:0", "org:007", "org:-1", "org:1a", "user:1", "org: 1", "org:1\n"]
)
def test_anything_else_is_not_a_room(name: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        Room.parse(name)
    assert caught.value.field == "room"


@given(st.text(max_size=80))
def test_parsing_any_string_either_names_a_room_or_says_why_not(name: str) -> None:
    valid = name == "lobby" or (name.startswith("org:") and name[4:].isdecimal() and name[4:5] != "0")
    if valid and name[4:].isascii() and len(name) <= 22:
        assert Room.parse(name).name == name
    else:
        with pytest.raises(InvalidValue):
            Room.parse(name)


def test_nobody_messages_themselves() -> None:
    with pytest.raises(InvalidValue) as caught:
        ChatMessage.direct(sender_id=ADA, recipient_id=ADA, text="note", now=NOW)
    assert caught.value.field == "recipient_id"


def test_a_direct_message_involves_its_two_users_and_only_the_recipient_marks_it_read() -> None:
    message = ChatMessage.direct(sender_id=ADA, recipient_id=BOB, text="hi", now=NOW)
    assert message.involves(ADA)
    assert message.involves(BOB)
    assert not message.involves(EVE)
    assert message.addressed_to(BOB)
    assert not message.addressed_to(ADA)


def test_the_first_reading_counts() -> None:
    message = ChatMessage.direct(sender_id=ADA, recipient_id=BOB, text="hi", now=NOW)
    assert message.mark_read(NOW)
    later = datetime(2026, 11, 23, tzinfo=UTC)
    assert not message.mark_read(later)
    assert message.read_at == NOW


def test_a_room_message_is_nobody_s_direct_message() -> None:
    message = ChatMessage.in_room(sender_id=ADA, room=Room.lobby(), text="hello all", now=NOW)
    assert message.room == "lobby"
    assert not message.is_direct
    assert not message.involves(ADA)
    assert not message.addressed_to(BOB)
