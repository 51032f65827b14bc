"""Changing one's email address, end to end: the token travels by real SMTP to the new
address, is confirmed over HTTP, and the new address logs in."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from adapters.sql.tables import email_changes
from entrypoints.container import App
from tests.integration.fakes.mail_app import MutableClock, send_outbox
from tests.integration.fakes.smtp_server import SmtpServer
from tests.integration.support import PASSWORD, Account, Api, assert_problem


async def request_change(api: Api, who: Account, new_email: str) -> Any:
    return await api.client.post("/api/users/me/email", json={"new_email": new_email}, headers=who.headers)


async def mailed_token(container: App, smtp_server: SmtpServer, address: str) -> str:
    await send_outbox(container)
    mail = smtp_server.to(address)[-1]
    match = re.search(r"^Token: (\S+)$", mail.body, re.MULTILINE)
    assert match, mail.body
    return match.group(1)


async def confirm(api: Api, token: str) -> Any:
    return await api.client.post("/api/users/me/email/confirm", json={"token": token})


async def test_the_new_address_confirms_the_change_and_then_logs_in(
    api: Api, container: App, smtp_server: SmtpServer, clock: MutableClock
):
    ada = await api.user("ada")
    response = await request_change(api, ada, "  Ada.Lovelace@New.Example.org ")
    assert response.status_code == 202, response.text
    assert response.json()["new_email"] == "ada.lovelace@new.example.org"
    expires_at = datetime.fromisoformat(response.json()["expires_at"])
    assert expires_at == clock.now() + timedelta(hours=24)
    me = (await api.client.get("/api/users/me", headers=ada.headers)).json()
    assert me["email"] == ada.email, "nothing changes before the confirmation"
    assert smtp_server.received == [], "nothing is sent inside the request"

    await send_outbox(container)
    [mail] = smtp_server.received
    assert mail.recipients == ["ada.lovelace@new.example.org"], "the token goes to the NEW address only"
    assert mail.subject == "Confirm your new email address"
    assert "within 24 hours" in mail.body
    token = re.search(r"^Token: (\S+)$", mail.body, re.MULTILINE).group(1)  # type: ignore[union-attr]
    assert len(token) >= 43, "32 random bytes, URL-safe"
    link = re.search(r"^(http\S+)$", mail.body, re.MULTILINE).group(1)  # type: ignore[union-attr]
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "testserver.local", "/api/users/me/email/confirm")
    assert parse_qs(parts.query) == {"token": [token]}

    confirmed = await confirm(api, token)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["email"] == "ada.lovelace@new.example.org"
    assert confirmed.json()["username"] == "ada"

    await send_outbox(container)
    [notice] = smtp_server.to(ada.email)
    assert notice.subject == "Your email address was changed"
    assert f"from {ada.email} to ada.lovelace@new.example.org" in notice.body

    assert (await api.login("ada.lovelace@new.example.org", PASSWORD))["access"]
    assert_problem(await api.client.post("/api/auth/login", json={"email": ada.email, "password": PASSWORD}), 401)
    assert_problem(await confirm(api, token), 400)


async def test_only_a_digest_of_the_token_is_stored(api: Api, container: App, smtp_server: SmtpServer):
    ada = await api.user("ada")
    await request_change(api, ada, "ada2@example.org")
    token = await mailed_token(container, smtp_server, "ada2@example.org")
    async with container.gateways.engine().connect() as conn:
        rows = (await conn.execute(select(email_changes))).all()
    assert len(rows) == 1
    assert rows[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(tuple(rows[0]))


async def test_the_link_opens_a_page_that_changes_nothing_by_itself(api: Api, container: App, smtp_server: SmtpServer):
    ada = await api.user("ada")
    await request_change(api, ada, "ada2@example.org")
    token = await mailed_token(container, smtp_server, "ada2@example.org")
    page = await api.client.get(f"/api/users/me/email/confirm?token={token}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "script-src 'sha256-" in page.headers["content-security-policy"]
    assert token not in page.text
    assert 'fetch("confirm"' in page.text
    me = (await api.client.get("/api/users/me", headers=ada.headers)).json()
    assert me["email"] == ada.email
    assert (await confirm(api, token)).status_code == 200, "the token still works after the page was opened"


async def test_a_token_expires_after_24_hours(api: Api, container: App, smtp_server: SmtpServer, clock: MutableClock):
    ada = await api.user("ada")
    await request_change(api, ada, "ada2@example.org")
    token = await mailed_token(container, smtp_server, "ada2@example.org")
    clock.advance(hours=24)
    body = assert_problem(await confirm(api, token), 400)
    assert body["type"].endswith("email-change-token-invalid")
    me = (await api.client.get("/api/users/me", headers=ada.headers)).json()
    assert me["email"] == ada.email


async def test_a_token_works_until_it_expires(api: Api, container: App, smtp_server: SmtpServer, clock: MutableClock):
    ada = await api.user("ada")
    await request_change(api, ada, "ada2@example.org")
    token = await mailed_token(container, smtp_server, "ada2@example.org")
    clock.advance(hours=23, minutes=59)
    assert (await confirm(api, token)).status_code == 200


async def test_unknown_and_malformed_tokens(api: Api):
    assert_problem(await confirm(api, "not-a-token"), 400)
    assert_problem(await confirm(api, ""), 400)
    assert_problem(await confirm(api, "x" * 513), 400)
    assert_problem(await api.client.post("/api/users/me/email/confirm", json={}), 400)


async def test_a_newer_request_replaces_an_older_one(api: Api, container: App, smtp_server: SmtpServer):
    ada = await api.user("ada")
    await request_change(api, ada, "first@example.org")
    first = await mailed_token(container, smtp_server, "first@example.org")
    await request_change(api, ada, "second@example.org")
    second = await mailed_token(container, smtp_server, "second@example.org")
    assert_problem(await confirm(api, first), 400)
    assert (await confirm(api, second)).json()["email"] == "second@example.org"


async def test_an_address_in_use_is_refused(api: Api):
    ada, bob = await api.user("ada"), await api.user("bob")
    body = assert_problem(await request_change(api, ada, bob.email.upper()), 409)
    assert body["type"].endswith("email-taken")


async def test_an_address_taken_in_the_meantime_is_refused_at_confirmation(
    api: Api, container: App, smtp_server: SmtpServer
):
    ada = await api.user("ada")
    await request_change(api, ada, "wanted@example.org")
    token = await mailed_token(container, smtp_server, "wanted@example.org")
    registered = await api.client.post(
        "/api/auth/register", json={"username": "quick", "email": "wanted@example.org", "password": PASSWORD}
    )
    assert registered.status_code == 201
    assert_problem(await confirm(api, token), 409)
    me = (await api.client.get("/api/users/me", headers=ada.headers)).json()
    assert me["email"] == ada.email


async def test_invalid_requests(api: Api):
    ada = await api.user("ada")
    assert_problem(await request_change(api, ada, "not an email"), 422, field="new_email")
    assert_problem(await request_change(api, ada, ada.email.upper()), 422, field="new_email")
    assert_problem(await request_change(api, ada, "a" * 250 + "@example.org"), 400)
    assert_problem(await api.client.post("/api/users/me/email", json={}, headers=ada.headers), 400)
    assert_problem(await api.client.post("/api/users/me/email", json={"new_email": "x@example.org"}), 401)


async def test_a_deactivated_accounts_token_does_not_work(api: Api, container: App, smtp_server: SmtpServer):
    ada, admin = await api.user("ada"), await api.user("root", admin=True)
    await request_change(api, ada, "ada2@example.org")
    token = await mailed_token(container, smtp_server, "ada2@example.org")
    await api.client.patch(f"/api/users/{ada.id}", json={"is_active": False}, headers=admin.headers)
    assert_problem(await confirm(api, token), 400)


async def test_requests_are_limited_per_hour(api: Api):
    ada = await api.user("ada")
    for i in range(5):
        assert (await request_change(api, ada, f"ada{i}@example.org")).status_code == 202
    response = await request_change(api, ada, "ada9@example.org")
    assert_problem(response, 429)
    assert int(response.headers["retry-after"]) > 0


async def test_racing_confirmations_of_one_token_succeed_once(api: Api, container: App, smtp_server: SmtpServer):
    ada = await api.user("ada")
    await request_change(api, ada, "ada2@example.org")
    token = await mailed_token(container, smtp_server, "ada2@example.org")
    responses = await asyncio.gather(*(confirm(api, token) for _ in range(4)))
    assert sorted(r.status_code for r in responses) == [200, 400, 400, 400]
    await send_outbox(container)
    assert len(smtp_server.to(ada.email)) == 1, "the old address is told once"
