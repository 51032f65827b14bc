"""``athenaeum demo-data``: a living sample library for newcomers, loaded through the use cases.

Each area adds a step to ``STEPS`` (``async def step(demo: Demo) -> None``). Steps are
idempotent: running the command twice adds nothing the second time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from application.use_cases.identity import Principal
from domain.identity import User
from domain.shared import UserId

if TYPE_CHECKING:
    from entrypoints.container import App


@dataclass
class Demo:
    container: App
    echo: Callable[[str], None]
    users: dict[str, User] = field(default_factory=dict)  # by username, filled by the people step
    #: Acts for admin-only use cases while seeding (no such user needs to exist).
    operator: Principal = field(default_factory=lambda: Principal(user_id=UserId(0), is_admin=True, is_premium=False))


Step = Callable[[Demo], Awaitable[None]]


def _steps() -> list[Step]:
    from entrypoints.demo import catalog, focus, people  # noqa: PLC0415 - steps import the container's use cases

    return [people.seed_users, catalog.seed_books_and_sessions, focus.seed_focus_and_music]


async def load_demo_data(container: App, echo: Callable[[str], None] = print) -> Demo:
    demo = Demo(container=container, echo=echo)
    for step in _steps():
        await step(demo)
    return demo
