"""The daily overdue digest: one Telegram message (checked at a local fake Bot API) and one
reminder per borrower (at a real SMTP server); and the admin's list of what is due."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.container import App
from entrypoints.scheduler.jobs import overdue_digest, send_outbox
from tests.integration.circulation.support import add_book
from tests.integration.fakes.mail_app import MutableClock
from tests.integration.fakes.smtp_server import SmtpServer
from tests.integration.fakes.telegram_server import FakeTelegram
from tests.integration.holds.conftest import CHAT
from tests.integration.support import Account, Api, assert_problem


async def lend(api: Api, who: Account, book: int, clock: MutableClock, days: int) -> int:
    body = {"book_id": book, "expected_return_date": (clock.today() + timedelta(days=days)).isoformat()}
    response = await api.client.post("/api/borrowings", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def digests(telegram: FakeTelegram) -> list[str]:
    """The digest messages (the chat also hears of every borrowing)."""
    return [m["text"] for m in telegram.messages if not m["text"].startswith("New borrowing")]


async def test_the_digest_lists_borrowings_due_by_tomorrow_and_reminds_each_borrower(
    api: Api,
    engine: AsyncEngine,
    container: App,
    clock: MutableClock,
    smtp_server: SmtpServer,
    fake_telegram: FakeTelegram,
) -> None:
    dune = await add_book(engine, title="Dune", inventory=5)
    emma = await add_book(engine, title="Emma", author="Jane Austen", inventory=5)
    ada, bob, cyd, admin = (
        await api.user("ada"),
        await api.user("bob"),
        await api.user("cyd"),
        await api.user("boss", admin=True),
    )
    late = await lend(api, ada, dune, clock, days=1)
    await lend(api, bob, emma, clock, days=1)
    await lend(api, cyd, dune, clock, days=3)  # not due yet
    dee = await api.user("dee")
    returned = await lend(api, dee, emma, clock, days=1)
    back = await api.client.post(f"/api/borrowings/{returned}/return", headers=dee.headers)
    assert back.status_code == 200, back.text
    clock.advance(days=1)  # ada's and bob's are due today: "due by tomorrow" includes them

    listed = await api.client.get("/api/borrowings/overdue", headers=admin.headers)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [(i["borrower"]["username"], i["book"]["title"]) for i in items] == [("ada", "Dune"), ("bob", "Emma")]
    assert items[0]["id"] == late
    assert_problem(await api.client.get("/api/borrowings/overdue", headers=ada.headers), 403)

    await overdue_digest(container)
    assert digests(fake_telegram) == [], "the job only queues; the outbox sends"
    await send_outbox(container)

    [text] = digests(fake_telegram)
    assert text.splitlines()[0] == "Borrowings due by tomorrow and not returned: 2"
    assert f"ada <ada@example.org>: \u201cDune\u201d (borrowing #{late}), due {clock.today().isoformat()}" in text
    assert "bob <bob@example.org>: \u201cEmma\u201d" in text
    assert "cyd" not in text
    assert "dee" not in text
    assert fake_telegram.messages[-1]["chat_id"] == CHAT
    for who, title in ((ada, "Dune"), (bob, "Emma")):
        [mail] = smtp_server.to(who.email)
        assert mail.subject == f"Reminder: \u201c{title}\u201d is due"
        assert mail.body.startswith(f"Hello {who.username},\n")
    assert smtp_server.to(cyd.email) == []

    await overdue_digest(container)
    await send_outbox(container)
    assert len(digests(fake_telegram)) == 1, "one digest a day, however often the job runs"
    clock.advance(days=1)
    await overdue_digest(container)
    await send_outbox(container)
    assert len(digests(fake_telegram)) == 2, "the next day has its own"


async def test_with_nothing_due_the_chat_hears_exactly_that(
    api: Api, container: App, smtp_server: SmtpServer, fake_telegram: FakeTelegram
) -> None:
    await overdue_digest(container)
    await send_outbox(container)
    assert [m["text"] for m in fake_telegram.messages] == ["No borrowings overdue today!"]
    assert smtp_server.received == []
