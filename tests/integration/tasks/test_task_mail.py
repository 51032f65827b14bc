"""Task notices through the outbox to a real SMTP server: who gets what, and what happens
when the mail server refuses or is down."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest

from entrypoints.container import App
from entrypoints.scheduler.jobs import send_outbox as send_outbox_job
from tests.integration.fakes.mail_app import MutableClock, outbox_rows, send_outbox
from tests.integration.fakes.smtp_server import SmtpServer, closed_port
from tests.integration.support import Account, Api


def day(clock: MutableClock, days: int) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


async def create(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    response = await api.client.post("/api/tasks", json=fields, headers=who.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_creating_a_task_emails_its_creator_and_its_performer(
    api: Api, container: App, smtp_server: SmtpServer, clock: MutableClock
):
    ada, bob = await api.user("ada"), await api.user("bob")
    await create(
        api,
        ada,
        name="Shelve the arrivals",
        due_date=day(clock, 3),
        specification="Aisle 4, top shelf.\nMind the ladder.",
        performer_id=bob.id,
    )
    assert smtp_server.received == [], "nothing is sent inside the request"

    report = await send_outbox_job(container)
    assert str(report) == "sent 2, retried 0, failed 0"

    assert sorted(mail.recipients[0] for mail in smtp_server.received) == [ada.email, bob.email]
    for account in (ada, bob):
        [mail] = smtp_server.to(account.email)
        assert mail.recipients == [account.email], "one message per person"
        assert mail.header("From") == "Athenaeum <noreply@athenaeum.test>"
        assert mail.subject == "Task created: Shelve the arrivals"
        body = mail.body
        assert body.startswith(f"Hello {account.username},\n")
        assert 'ada created the task "Shelve the arrivals".' in body
        assert "Status: NEW\n" in body
        assert f"Due date: {day(clock, 3)}\n" in body
        assert "Creator: ada\n" in body
        assert "Performer: bob\n" in body
        assert "Aisle 4, top shelf.\nMind the ladder.\n" in body
    assert str(await send_outbox(container)) == "sent 0, retried 0, failed 0", "each notice goes out once"


async def test_a_task_without_a_performer_emails_its_creator_alone(
    api: Api, container: App, smtp_server: SmtpServer, clock: MutableClock
):
    ada = await api.user("ada")
    await create(api, ada, name="Dust", due_date=day(clock, 1))
    await create(api, ada, name="Sweep", due_date=day(clock, 1), performer_id=ada.id)
    await send_outbox(container)
    assert [mail.recipients for mail in smtp_server.received] == [[ada.email], [ada.email]]
    assert "Performer: nobody yet\n" in smtp_server.received[0].body
    assert "Specification:\n(none)\n" in smtp_server.received[0].body
    assert "Performer: ada\n" in smtp_server.received[1].body


async def test_a_change_emails_both_even_the_one_who_made_it(
    api: Api, container: App, smtp_server: SmtpServer, clock: MutableClock
):
    ada, bob = await api.user("ada"), await api.user("bob")
    task = await create(api, ada, name="Catalogue", due_date=day(clock, 3), performer_id=bob.id)
    await send_outbox(container)
    smtp_server.reset()

    response = await api.client.patch(
        f"/api/tasks/{task['id']}",
        json={"status": "IN_WORK", "due_date": day(clock, 9), "specification": "All of section B"},
        headers=bob.headers,
    )
    assert response.status_code == 200, response.text
    await send_outbox(container)

    assert sorted(mail.recipients[0] for mail in smtp_server.received) == [ada.email, bob.email]
    for mail in smtp_server.received:
        assert mail.subject == "Task updated: Catalogue"
        assert 'bob changed the task "Catalogue".' in mail.body
        assert "Status: IN_WORK\n" in mail.body
        assert f"Due date: {day(clock, 9)}\n" in mail.body
        assert "All of section B" in mail.body
        assert "no longer" not in mail.body


async def test_a_change_that_changes_nothing_is_announced_to_nobody(
    api: Api, container: App, smtp_server: SmtpServer, clock: MutableClock
):
    ada = await api.user("ada")
    task = await create(api, ada, name="Catalogue", due_date=day(clock, 3))
    await send_outbox(container)
    smtp_server.reset()
    same = {"name": "Catalogue", "status": "NEW", "due_date": day(clock, 3)}
    assert (await api.client.patch(f"/api/tasks/{task['id']}", json=same, headers=ada.headers)).status_code == 200
    assert (await api.client.patch(f"/api/tasks/{task['id']}", json={}, headers=ada.headers)).status_code == 200
    assert str(await send_outbox(container)) == "sent 0, retried 0, failed 0"


async def test_a_replaced_performer_is_told_too(api: Api, container: App, smtp_server: SmtpServer, clock: MutableClock):
    ada, bob, cyd = await api.user("ada"), await api.user("bob"), await api.user("cyd")
    task = await create(api, ada, name="Catalogue", due_date=day(clock, 3), performer_id=bob.id)
    await send_outbox(container)
    smtp_server.reset()

    await api.client.patch(f"/api/tasks/{task['id']}", json={"performer_id": cyd.id}, headers=ada.headers)
    await send_outbox(container)

    assert sorted(mail.recipients[0] for mail in smtp_server.received) == [ada.email, bob.email, cyd.email]
    [to_bob] = smtp_server.to(bob.email)
    assert "You are no longer its performer." in to_bob.body
    assert "Performer: cyd\n" in to_bob.body
    assert "no longer" not in smtp_server.to(cyd.email)[0].body


async def test_a_comment_emails_creator_and_performer_with_the_comment_and_its_author(
    api: Api, container: App, smtp_server: SmtpServer, clock: MutableClock
):
    ada, bob, cyd = await api.user("ada"), await api.user("bob"), await api.user("cyd")
    task = await create(api, ada, name="Read-along", due_date=day(clock, 2), performer_id=bob.id)
    await send_outbox(container)
    smtp_server.reset()

    text = "Can I bring\nmy own copy?"
    response = await api.client.post(f"/api/tasks/{task['id']}/comments", json={"text": text}, headers=cyd.headers)
    assert response.status_code == 201
    await send_outbox(container)

    assert sorted(mail.recipients[0] for mail in smtp_server.received) == [ada.email, bob.email]
    assert smtp_server.to(cyd.email) == [], "a commenter who is neither creator nor performer is not emailed"
    for mail in smtp_server.received:
        assert mail.subject == "New comment on task: Read-along"
        assert 'cyd commented on the task "Read-along".' in mail.body
        assert f"Comment by cyd:\n{text}\n" in mail.body
        assert "Status: NEW\n" in mail.body
        assert "Performer: bob\n" in mail.body

    smtp_server.reset()
    await api.client.post(f"/api/tasks/{task['id']}/comments", json={"text": "Yes."}, headers=ada.headers)
    await send_outbox(container)
    assert sorted(mail.recipients[0] for mail in smtp_server.received) == [ada.email, bob.email]


# --------------------------------------------------------------------------- when mail fails


async def test_refused_twice_then_accepted_delivers_exactly_one_email(
    api: Api, container: App, smtp_server: SmtpServer, clock: MutableClock
):
    ada = await api.user("ada")
    smtp_server.refuse_next(2)
    await create(api, ada, name="Flaky", due_date=day(clock, 1))

    assert (await send_outbox(container)).retried == 1
    assert (await send_outbox(container)).retried == 0, "not before EMAIL_RETRY_DELAY_SECONDS"
    clock.advance(seconds=299)
    assert str(await send_outbox(container)) == "sent 0, retried 0, failed 0"
    clock.advance(seconds=1)
    assert (await send_outbox(container)).retried == 1
    clock.advance(seconds=300)
    assert (await send_outbox(container)).sent == 1
    clock.advance(days=1)
    assert str(await send_outbox(container)) == "sent 0, retried 0, failed 0"

    assert smtp_server.attempts == 3
    [mail] = smtp_server.received
    assert mail.recipients == [ada.email]
    assert mail.subject == "Task created: Flaky"
    [(status, attempts, _)] = await outbox_rows(container)
    assert (status, attempts) == ("sent", 3)


@pytest.mark.parametrize("refuse_at", ["DATA", "RCPT"])
async def test_always_refused_is_marked_failed_after_the_retries_and_the_task_stands(
    api: Api, container: App, smtp_server: SmtpServer, clock: MutableClock, caplog, refuse_at
):
    ada = await api.user("ada")
    smtp_server.refuse_always(at=refuse_at)
    task = await create(api, ada, name="Doomed mail", due_date=day(clock, 1))

    with caplog.at_level(logging.WARNING, logger="athenaeum.outbox"):
        for _ in range(8):
            await send_outbox(container)
            clock.advance(seconds=300)

    [(status, attempts, error)] = await outbox_rows(container)
    assert (status, attempts) == ("failed", 4), "one attempt and EMAIL_RETRY_ATTEMPTS (3) retries"
    assert "451" in (error or "")
    assert smtp_server.received == []
    failures = [r.getMessage() for r in caplog.records if "failed for good" in r.getMessage()]
    assert len(failures) == 1
    assert "(email) failed for good after 4 attempts" in failures[0]

    fetched = await api.client.get(f"/api/tasks/{task['id']}", headers=ada.headers)
    assert fetched.status_code == 200, "the task change committed whatever became of its mail"
    assert fetched.json()["name"] == "Doomed mail"


@pytest.mark.parametrize("mail_overrides", [{"email_retry_attempts": 1, "email_retry_delay_seconds": 60}])
async def test_the_retry_policy_comes_from_the_settings(
    api: Api, container: App, smtp_server: SmtpServer, clock: MutableClock
):
    ada = await api.user("ada")
    smtp_server.refuse_always()
    await create(api, ada, name="Configured", due_date=day(clock, 1))
    assert (await send_outbox(container)).retried == 1
    clock.advance(seconds=59)
    assert str(await send_outbox(container)) == "sent 0, retried 0, failed 0"
    clock.advance(seconds=1)
    assert (await send_outbox(container)).failed == 1
    assert [(s, a) for s, a, _ in await outbox_rows(container)] == [("failed", 2)]


@pytest.mark.parametrize("mail_overrides", [{"smtp_port": closed_port()}])
async def test_with_the_mail_server_down_changes_still_commit_and_mail_waits(
    api: Api, container: App, clock: MutableClock
):
    ada, bob = await api.user("ada"), await api.user("bob")
    task = await create(api, ada, name="Offline", due_date=day(clock, 1), performer_id=bob.id)
    patched = await api.client.patch(f"/api/tasks/{task['id']}", json={"status": "IN_WORK"}, headers=bob.headers)
    assert patched.status_code == 200
    comment = await api.client.post(f"/api/tasks/{task['id']}/comments", json={"text": "hi"}, headers=bob.headers)
    assert comment.status_code == 201

    report = await send_outbox(container)
    assert report.retried == 6, "2 people x (created, updated, commented), each to try again later"
    rows = await outbox_rows(container)
    assert {(status, attempts) for status, attempts, _ in rows} == {("pending", 1)}
    assert all("127.0.0.1" in (error or "") for _, _, error in rows)
    detail = (await api.client.get(f"/api/tasks/{task['id']}", headers=ada.headers)).json()
    assert detail["status"] == "IN_WORK"
    assert [c["text"] for c in detail["comments"]] == ["hi"]
