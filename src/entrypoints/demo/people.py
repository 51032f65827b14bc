"""Demo accounts: a librarian (admin) and a few readers, all with one known password."""

from __future__ import annotations

from application.ports.identity import UserFilter
from application.results import PageRequest
from domain.identity import DuplicateAccount
from entrypoints.demo import Demo

PASSWORD = "quiet reading room"  # noqa: S105 - a published demo password

#: (username, full name for the output, admin?)
PEOPLE = [
    ("librarian", "the librarian (admin)", True),
    ("ada", "Ada, a keen reader", False),
    ("grace", "Grace, reads on the bus", False),
    ("alan", "Alan, reads at night", False),
    ("mary", "Mary, new member", False),
]


async def seed_users(demo: Demo) -> None:
    register = demo.container.identity.register_user()
    created = 0
    for username, _, is_admin in PEOPLE:
        email = f"{username}@athenaeum.example"
        try:
            user = await register(username=username, email=email, password=PASSWORD, is_admin=is_admin)
            created += 1
        except DuplicateAccount:
            found = await demo.container.identity.list_users()(
                viewer=demo.operator, filters=UserFilter(email=email), page=PageRequest(limit=1)
            )
            if not found.items:
                demo.echo(f"  ! the username {username!r} is taken by another account; skipped")
                continue
            user = found.items[0]
        demo.users[username] = user
    demo.echo(f"users: {created} created, {len(demo.users) - created} already there")
    demo.echo(f"  sign in with any of these (password: {PASSWORD!r}):")
    for username, who, _ in PEOPLE:
        if username in demo.users:
            demo.echo(f"    {demo.users[username].email:<28} {who}")
