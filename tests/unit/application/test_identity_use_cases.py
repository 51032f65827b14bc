"""Identity use cases on in-memory fakes: registration, login and its back-off, token rotation,
logout, deactivation and the limits of what admins may do to themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from adapters.ratelimit.memory import MemoryFailureLog
from adapters.security.jwt_tokens import JwtTokenCodec
from application.errors import Forbidden, NotAuthenticated, NotFound, RateLimited
from application.ports.identity import UserFilter
from application.results import PageRequest
from application.use_cases.identity import (
    AdministerUser,
    Authenticate,
    DeleteUser,
    GetProfile,
    GetUser,
    ListUsers,
    LogIn,
    LogOut,
    Principal,
    ReadOwnProfile,
    RefreshTokens,
    RegisterUser,
    TokenLifetimes,
    TokenPair,
    UpdateProfile,
)
from domain.errors import InvalidValue
from domain.identity import (
    AdminChanges,
    DuplicateAccount,
    InvalidCredentials,
    LoginThrottle,
    PasswordPolicy,
    ProfileChanges,
    RefreshTokenReused,
    SessionStats,
    TokenInvalid,
    User,
)
from domain.shared import UserId
from tests.unit.fakes import FakePasswordHasher, FakeUnitOfWork, MutableClock

PASSWORD = "a sturdy passphrase 42"
SECRET = "unit-test-secret-key-of-at-least-32-bytes"
COMMON = frozenset({"password", "qwertyuiop", "iloveyou"})


@dataclass
class Identity:
    """Every identity use case, wired on one set of fakes."""

    uow: FakeUnitOfWork = field(default_factory=FakeUnitOfWork)
    hasher: FakePasswordHasher = field(default_factory=FakePasswordHasher)
    # Starts at the real time: PyJWT checks `exp`/`nbf` against the system clock, so tokens
    # must be issued "now" to be decodable; advancing the clock then moves only our rules.
    clock: MutableClock = field(default_factory=lambda: MutableClock(datetime.now(UTC)))
    failures: MemoryFailureLog = field(default_factory=MemoryFailureLog)
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    lifetimes: TokenLifetimes = field(default_factory=TokenLifetimes)

    def __post_init__(self) -> None:
        self.codec = JwtTokenCodec(SECRET, self.lifetimes.access)
        self.policy = PasswordPolicy(common=COMMON)

    @property
    def register(self) -> RegisterUser:
        return RegisterUser(self.uow, self.hasher, self.policy, self.clock)

    @property
    def log_in(self) -> LogIn:
        return LogIn(self.uow, self.hasher, self.codec, self.failures, self.throttle, self.lifetimes, self.clock)

    @property
    def refresh(self) -> RefreshTokens:
        return RefreshTokens(self.uow, self.codec, self.lifetimes, self.clock)

    @property
    def log_out(self) -> LogOut:
        return LogOut(self.uow, self.codec, self.clock)

    @property
    def authenticate(self) -> Authenticate:
        return Authenticate(self.uow, self.codec)

    @property
    def administer(self) -> AdministerUser:
        return AdministerUser(self.uow, self.hasher, self.policy, self.clock)

    async def user(self, username: str = "ada", *, admin: bool = False, active: bool = True) -> User:
        user = await self.register(username=username, email=f"{username}@example.org", password=PASSWORD)
        if admin or not active:
            stored = self.uow.users.rows[user.uid]
            stored.is_admin, stored.is_active = admin, active
        return user

    async def bearer(self, pair: TokenPair) -> Principal:
        """Authenticate the pair's access token now (PyJWT checks it against the real time)."""
        return await self.authenticate(token=pair.access)


@pytest.fixture
def idt() -> Identity:
    return Identity()


def admin_of(user: User) -> Principal:
    return Principal(user_id=user.uid, is_admin=True, is_premium=False)


# --------------------------------------------------------------------------- registration


async def test_registration_stores_a_hashed_password_and_commits(idt: Identity) -> None:
    user = await idt.register(username="ada", email="Ada@Example.org", password=PASSWORD, country="UK")
    stored = idt.uow.users.rows[user.uid]
    assert (stored.username, stored.email, stored.country) == ("ada", "ada@example.org", "UK")
    assert stored.password_hash != PASSWORD
    assert await idt.hasher.verify(stored.password_hash, PASSWORD)
    assert idt.uow.commits == 1


@pytest.mark.parametrize("password", ["short", "password", "PASSWORD", "ada@example.org", "1234567890123"])
async def test_the_password_policy_is_checked_before_any_hashing(idt: Identity, password: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        await idt.register(username="ada", email="ada@example.org", password=password)
    assert caught.value.field == "password"
    assert idt.hasher.hashes == 0
    assert idt.uow.users.rows == {}


async def test_invalid_fields_are_refused_before_hashing(idt: Identity) -> None:
    with pytest.raises(InvalidValue) as caught:
        await idt.register(username="ada", email="not-an-email", password=PASSWORD)
    assert caught.value.field == "email"
    assert idt.hasher.hashes == 0


@pytest.mark.parametrize(
    ("username", "email", "taken"),
    [("ada", "other@example.org", "username"), ("other", "ADA@example.org", "email")],
)
async def test_a_taken_email_or_username_is_a_duplicate(idt: Identity, username: str, email: str, taken: str) -> None:
    await idt.user("ada")
    with pytest.raises(DuplicateAccount) as caught:
        await idt.register(username=username, email=email, password=PASSWORD)
    assert caught.value.extra["field"] == taken
    assert len(idt.uow.users.rows) == 1
    assert idt.uow.commits == 1


# --------------------------------------------------------------------------- login


@pytest.mark.parametrize("identifier", ["ada@example.org", "ADA@Example.ORG", " ada@example.org ", "ada"])
async def test_login_by_email_in_any_case_or_by_username(idt: Identity, identifier: str) -> None:
    ada = await idt.user("ada")
    pair = await idt.log_in(identifier=identifier, password=PASSWORD)
    assert pair.token_type == "Bearer"
    assert (await idt.bearer(pair)).user_id == ada.uid
    assert idt.codec.decode_refresh(pair.refresh).user_id == ada.uid


async def test_a_username_is_matched_exactly(idt: Identity) -> None:
    await idt.user("ada")
    with pytest.raises(InvalidCredentials):
        await idt.log_in(identifier="ADA", password=PASSWORD)


async def test_unknown_account_wrong_password_and_inactive_account_fail_alike(idt: Identity) -> None:
    await idt.user("ada")
    await idt.user("bob", active=False)
    outcomes = []
    for identifier, password in [("nobody@example.org", PASSWORD), ("ada", "wrong password!"), ("bob", PASSWORD)]:
        verifications_before = idt.hasher.verifications
        with pytest.raises(InvalidCredentials) as caught:
            await idt.log_in(identifier=identifier, password=password)
        outcomes.append((type(caught.value), caught.value.title, caught.value.detail))
        assert idt.hasher.verifications - verifications_before == 1  # the same hashing work each time
    assert len(set(outcomes)) == 1
    assert idt.uow.refresh_tokens.rows == {}


async def test_five_failures_lock_the_account_then_the_lock_lifts_after_the_window(idt: Identity) -> None:
    await idt.user("ada")
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            await idt.log_in(identifier="ada", password="not my password")
        idt.clock.advance(seconds=30)
    verifications_before = idt.hasher.verifications
    with pytest.raises(RateLimited) as caught:
        await idt.log_in(identifier="ada", password=PASSWORD)  # even the right password waits
    assert idt.hasher.verifications == verifications_before  # no hashing while locked
    # The first failure was 150 s ago: it leaves the 15-minute window in 750 s.
    assert caught.value.retry_after_seconds == 750
    assert 0 < caught.value.retry_after_seconds <= 15 * 60

    idt.clock.advance(seconds=749)
    with pytest.raises(RateLimited):
        await idt.log_in(identifier="ada", password=PASSWORD)
    idt.clock.advance(seconds=1)
    await idt.log_in(identifier="ada", password=PASSWORD)


async def test_the_lock_is_per_account(idt: Identity) -> None:
    await idt.user("ada")
    await idt.user("bob")
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            await idt.log_in(identifier="ada@example.org", password="not my password")
    with pytest.raises(RateLimited):
        await idt.log_in(identifier="ADA@example.org", password=PASSWORD)
    await idt.log_in(identifier="bob", password=PASSWORD)


async def test_unknown_accounts_are_locked_the_same_way(idt: Identity) -> None:
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            await idt.log_in(identifier="ghost@example.org", password=PASSWORD)
    with pytest.raises(RateLimited):
        await idt.log_in(identifier="ghost@example.org", password=PASSWORD)


async def test_a_successful_login_clears_the_failures(idt: Identity) -> None:
    await idt.user("ada")
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            await idt.log_in(identifier="ada", password="not my password")
    await idt.log_in(identifier="ada", password=PASSWORD)
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            await idt.log_in(identifier="ada", password="not my password")
    await idt.log_in(identifier="ada", password=PASSWORD)  # 8 failures in the window, but never 5 in a row


async def test_a_hash_made_with_old_parameters_is_upgraded_at_login(idt: Identity) -> None:
    ada = await idt.user("ada")
    old_hash = idt.uow.users.rows[ada.uid].password_hash
    idt.hasher.version = 2  # the parameters were raised since ada registered
    assert idt.hasher.needs_rehash(old_hash)

    await idt.log_in(identifier="ada", password=PASSWORD)
    new_hash = idt.uow.users.rows[ada.uid].password_hash
    assert new_hash != old_hash
    assert not idt.hasher.needs_rehash(new_hash)
    await idt.log_in(identifier="ada", password=PASSWORD)
    assert idt.uow.users.rows[ada.uid].password_hash == new_hash


async def test_a_current_hash_is_left_alone(idt: Identity) -> None:
    ada = await idt.user("ada")
    hashes_before = idt.hasher.hashes
    await idt.log_in(identifier="ada", password=PASSWORD)
    assert idt.hasher.hashes == hashes_before
    assert idt.uow.users.rows[ada.uid].password_hash.startswith("fake$v1$")


# --------------------------------------------------------------------------- refresh and logout


async def test_refreshing_rotates_the_refresh_token(idt: Identity) -> None:
    ada = await idt.user("ada")
    first = await idt.log_in(identifier="ada", password=PASSWORD)
    second = await idt.refresh(refresh=first.refresh)
    assert second.refresh != first.refresh
    assert idt.codec.decode_refresh(second.refresh).family_id == idt.codec.decode_refresh(first.refresh).family_id
    assert (await idt.bearer(second)).user_id == ada.uid
    third = await idt.refresh(refresh=second.refresh)  # the successor rotates in turn
    assert third.refresh not in {first.refresh, second.refresh}


async def test_reusing_a_rotated_token_revokes_the_whole_family(idt: Identity) -> None:
    await idt.user("ada")
    first = await idt.log_in(identifier="ada", password=PASSWORD)
    second = await idt.refresh(refresh=first.refresh)

    with pytest.raises(RefreshTokenReused):
        await idt.refresh(refresh=first.refresh)  # a thief (or the victim) replays the old token
    with pytest.raises(TokenInvalid):
        await idt.refresh(refresh=second.refresh)  # so the legitimate successor dies too
    family = idt.codec.decode_refresh(first.refresh).family_id
    assert all(token.revoked_at is not None for token in idt.uow.refresh_tokens.family(family))


async def test_reuse_revokes_only_that_family(idt: Identity) -> None:
    await idt.user("ada")
    laptop = await idt.log_in(identifier="ada", password=PASSWORD)
    phone = await idt.log_in(identifier="ada", password=PASSWORD)
    await idt.refresh(refresh=laptop.refresh)
    with pytest.raises(RefreshTokenReused):
        await idt.refresh(refresh=laptop.refresh)
    await idt.refresh(refresh=phone.refresh)


async def test_an_expired_refresh_token_is_refused(idt: Identity) -> None:
    await idt.user("ada")
    pair = await idt.log_in(identifier="ada", password=PASSWORD)
    idt.clock.advance(idt.lifetimes.refresh)
    with pytest.raises(TokenInvalid) as caught:
        await idt.refresh(refresh=pair.refresh)
    assert not isinstance(caught.value, RefreshTokenReused)


async def test_an_access_token_is_not_a_refresh_token(idt: Identity) -> None:
    await idt.user("ada")
    pair = await idt.log_in(identifier="ada", password=PASSWORD)
    with pytest.raises(TokenInvalid):
        await idt.refresh(refresh=pair.access)
    with pytest.raises(NotAuthenticated):
        await idt.authenticate(token=pair.refresh)


async def test_logging_out_revokes_the_family(idt: Identity) -> None:
    ada = await idt.user("ada")
    pair = await idt.log_in(identifier="ada", password=PASSWORD)
    rotated = await idt.refresh(refresh=pair.refresh)
    other_device = await idt.log_in(identifier="ada", password=PASSWORD)

    await idt.log_out(user_id=ada.uid, refresh=rotated.refresh)
    with pytest.raises(TokenInvalid):
        await idt.refresh(refresh=rotated.refresh)
    await idt.refresh(refresh=other_device.refresh)  # other sessions keep working


async def test_nobody_can_log_out_someone_elses_session(idt: Identity) -> None:
    await idt.user("ada")
    bob = await idt.user("bob")
    ada_pair = await idt.log_in(identifier="ada", password=PASSWORD)
    with pytest.raises(TokenInvalid):
        await idt.log_out(user_id=bob.uid, refresh=ada_pair.refresh)
    await idt.refresh(refresh=ada_pair.refresh)


# --------------------------------------------------------------------------- deactivation and admins


async def test_deactivation_revokes_refresh_tokens_and_access_stops_at_once(idt: Identity) -> None:
    root = await idt.user("root", admin=True)
    await idt.user("ada")
    pair = await idt.log_in(identifier="ada", password=PASSWORD)
    ada_id = (await idt.bearer(pair)).user_id

    await idt.administer(actor=admin_of(root), user_id=ada_id, changes=AdminChanges(is_active=False))

    assert all(token.revoked_at is not None for token in idt.uow.refresh_tokens.rows.values())
    with pytest.raises(NotAuthenticated):
        await idt.authenticate(token=pair.access)
    with pytest.raises(TokenInvalid):
        await idt.refresh(refresh=pair.refresh)
    with pytest.raises(InvalidCredentials):
        await idt.log_in(identifier="ada", password=PASSWORD)

    # Reactivated, ada logs in again; the revoked tokens stay revoked.
    await idt.administer(actor=admin_of(root), user_id=ada_id, changes=AdminChanges(is_active=True))
    await idt.log_in(identifier="ada", password=PASSWORD)
    with pytest.raises(TokenInvalid):
        await idt.refresh(refresh=pair.refresh)


async def test_an_admin_password_reset_revokes_refresh_tokens(idt: Identity) -> None:
    root = await idt.user("root", admin=True)
    ada = await idt.user("ada")
    pair = await idt.log_in(identifier="ada", password=PASSWORD)
    await idt.administer(actor=admin_of(root), user_id=ada.uid, changes=AdminChanges(), password="brand new secret 7")
    with pytest.raises(TokenInvalid):
        await idt.refresh(refresh=pair.refresh)
    with pytest.raises(InvalidCredentials):
        await idt.log_in(identifier="ada", password=PASSWORD)
    await idt.log_in(identifier="ada", password="brand new secret 7")


async def test_an_admin_reset_to_a_weak_password_is_refused(idt: Identity) -> None:
    root = await idt.user("root", admin=True)
    ada = await idt.user("ada")
    with pytest.raises(InvalidValue) as caught:
        await idt.administer(actor=admin_of(root), user_id=ada.uid, changes=AdminChanges(), password="password")
    assert caught.value.field == "password"
    await idt.log_in(identifier="ada", password=PASSWORD)


async def test_role_changes_take_effect_on_the_next_request(idt: Identity) -> None:
    root = await idt.user("root", admin=True)
    ada = await idt.user("ada")
    pair = await idt.log_in(identifier="ada", password=PASSWORD)
    assert not (await idt.bearer(pair)).is_premium
    await idt.administer(actor=admin_of(root), user_id=ada.uid, changes=AdminChanges(is_premium=True, is_admin=True))
    principal = await idt.bearer(pair)
    assert principal.is_premium
    assert principal.is_admin


@pytest.mark.parametrize(
    "changes", [AdminChanges(is_admin=False), AdminChanges(is_active=False)], ids=["demote", "deactivate"]
)
async def test_admins_cannot_demote_or_deactivate_themselves(idt: Identity, changes: AdminChanges) -> None:
    root = await idt.user("root", admin=True)
    with pytest.raises(InvalidValue):
        await idt.administer(actor=admin_of(root), user_id=root.uid, changes=changes)
    stored = idt.uow.users.rows[root.uid]
    assert stored.is_admin
    assert stored.is_active


async def test_an_admin_may_still_edit_their_own_profile_fields(idt: Identity) -> None:
    root = await idt.user("root", admin=True)
    changes = AdminChanges(profile=ProfileChanges(country="NZ", fields=frozenset({"country"})), is_admin=True)
    profile = await idt.administer(actor=admin_of(root), user_id=root.uid, changes=changes)
    assert profile.user.country == "NZ"
    assert idt.uow.users.rows[root.uid].is_admin


async def test_admins_cannot_delete_themselves(idt: Identity) -> None:
    root = await idt.user("root", admin=True)
    with pytest.raises(InvalidValue):
        await DeleteUser(idt.uow)(actor=admin_of(root), user_id=root.uid)
    assert root.uid in idt.uow.users.rows


async def test_deleting_a_user_and_an_unknown_user(idt: Identity) -> None:
    root = await idt.user("root", admin=True)
    ada = await idt.user("ada")
    pair = await idt.log_in(identifier="ada", password=PASSWORD)
    await DeleteUser(idt.uow)(actor=admin_of(root), user_id=ada.uid)
    assert ada.uid not in idt.uow.users.rows
    with pytest.raises(NotAuthenticated):
        await idt.authenticate(token=pair.access)
    with pytest.raises(TokenInvalid):
        await idt.refresh(refresh=pair.refresh)
    with pytest.raises(NotFound):
        await DeleteUser(idt.uow)(actor=admin_of(root), user_id=ada.uid)


async def test_administering_an_unknown_user_is_not_found_and_changes_nothing(idt: Identity) -> None:
    root = await idt.user("root", admin=True)
    with pytest.raises(NotFound):
        await idt.administer(actor=admin_of(root), user_id=UserId(999), changes=AdminChanges(is_premium=True))
    assert idt.uow.commits == 1  # only root's registration


async def test_an_admin_change_to_a_taken_email_is_a_duplicate_and_rolls_back(idt: Identity) -> None:
    root = await idt.user("root", admin=True)
    ada = await idt.user("ada")
    changes = AdminChanges(email="root@example.org", is_premium=True)
    with pytest.raises(DuplicateAccount):
        await idt.administer(actor=admin_of(root), user_id=ada.uid, changes=changes)
    stored = idt.uow.users.rows[ada.uid]
    assert (stored.email, stored.is_premium) == ("ada@example.org", False)


# --------------------------------------------------------------------------- profiles and listing


async def test_profile_changes_apply_only_the_given_fields(idt: Identity) -> None:
    ada = await idt.register(username="ada", email="ada@example.org", password=PASSWORD, phone="+1 555 0100")
    idt.uow.session_stats.rows[ada.uid] = SessionStats(total_seconds=3600, books_read=2)
    update = UpdateProfile(idt.uow, idt.clock)

    profile = await update(user_id=ada.uid, changes=ProfileChanges(country="UK", fields=frozenset({"country"})))
    assert (profile.user.country, profile.user.phone) == ("UK", "+1 555 0100")
    assert profile.stats.total_seconds == 3600

    profile = await update(user_id=ada.uid, changes=ProfileChanges(phone=None, fields=frozenset({"phone"})))
    assert profile.user.phone is None
    assert idt.uow.users.rows[ada.uid].phone is None
    assert (await GetProfile(idt.uow)(user_id=ada.uid)).user.country == "UK"


async def test_a_profile_change_to_a_taken_username_is_a_duplicate(idt: Identity) -> None:
    ada = await idt.user("ada")
    await idt.user("bob")
    changes = ProfileChanges(username="bob", country="UK", fields=frozenset({"username", "country"}))
    with pytest.raises(DuplicateAccount):
        await UpdateProfile(idt.uow, idt.clock)(user_id=ada.uid, changes=changes)
    assert (idt.uow.users.rows[ada.uid].username, idt.uow.users.rows[ada.uid].country) == ("ada", None)


async def test_an_invalid_profile_change_leaves_the_profile_as_it_was(idt: Identity) -> None:
    ada = await idt.user("ada")
    future = idt.clock.today() + timedelta(days=1)
    changes = ProfileChanges(country="UK", date_of_birth=future, fields=frozenset({"country", "date_of_birth"}))
    with pytest.raises(InvalidValue) as caught:
        await UpdateProfile(idt.uow, idt.clock)(user_id=ada.uid, changes=changes)
    assert caught.value.field == "date_of_birth"
    assert idt.uow.users.rows[ada.uid].country is None


async def test_only_admins_may_filter_users_by_email(idt: Identity) -> None:
    root = await idt.user("root", admin=True)
    ada = await idt.user("ada")
    list_users = ListUsers(idt.uow)
    by_email = UserFilter(email="ADA@example.org")
    for viewer in [None, Principal(user_id=ada.uid, is_admin=False, is_premium=True)]:
        with pytest.raises(Forbidden):
            await list_users(viewer=viewer, filters=by_email, page=PageRequest())
    page = await list_users(viewer=admin_of(root), filters=by_email, page=PageRequest())
    assert [user.username for user in page.items] == ["ada"]


async def test_get_user_of_an_unknown_id_is_not_found(idt: Identity) -> None:
    with pytest.raises(NotFound):
        await GetUser(idt.uow)(user_id=UserId(1))
    with pytest.raises(NotFound):
        await GetProfile(idt.uow)(user_id=UserId(1))


# --------------------------------------------------------------------------- the fakes keep their promises


async def test_the_fake_unit_of_work_rolls_back_what_was_not_committed() -> None:
    uow = FakeUnitOfWork()
    now = MutableClock().now()
    async with uow:
        kept = await uow.users.add(User(username="kept", email="kept@example.org", password_hash="h", created_at=now))
        await uow.commit()
        await uow.users.add(User(username="lost", email="lost@example.org", password_hash="h", created_at=now))
    assert [user.username for user in uow.users.rows.values()] == ["kept"]
    async with uow:
        await uow.users.delete(kept.uid)
    assert kept.uid in uow.users.rows
    assert uow.commits == 1


async def test_reading_your_own_profile_checks_the_token_and_the_account(idt: Identity) -> None:
    ada = await idt.user("ada")
    pair = await idt.log_in(identifier="ada", password=PASSWORD)
    read = ReadOwnProfile(idt.uow, idt.codec)
    assert (await read(token=pair.access)).user.uid == ada.uid

    with pytest.raises(NotAuthenticated):
        await read(token=pair.refresh)  # a refresh token is not an access token
    idt.uow.users.rows[ada.uid].is_active = False
    with pytest.raises(NotAuthenticated):
        await read(token=pair.access)  # deactivation takes effect at once
    del idt.uow.users.rows[ada.uid]
    with pytest.raises(NotAuthenticated):
        await read(token=pair.access)
