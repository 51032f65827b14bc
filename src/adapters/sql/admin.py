"""The admin web UI (sqladmin) over the declarative tables: every table browsable, with
list filters and search, for admins only.

Sign-in goes through the same credential check as the API (``sign_in`` is injected by the
composition root: the identity use cases, with their throttling); a signed session cookie
(Starlette's SessionMiddleware, itsdangerous, keyed from ``SECRET_KEY``) then holds the user
id, and every request re-checks that the user is still an active admin (``still_admin``).

Edits made here write the tables directly, as sqladmin does, not through the use cases.
What that would skip is handled here: deactivating a user revokes their refresh tokens
(access tokens already stop working, since every API request re-reads the user), admins
cannot demote or deactivate themselves, password hashes are never shown or edited, and
users are created through the API or ``athenaeum users create-admin`` (a password needs
hashing), not here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from markupsafe import Markup
from sqladmin import Admin, ModelView
from sqladmin.authentication import AuthenticationBackend
from sqladmin.filters import AllUniqueStringValuesFilter, BooleanFilter, OperationColumnFilter
from sqlalchemy import update
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from adapters.sql.tables import (
    AchievementRow,
    BookRow,
    BorrowingRow,
    ChatMessageRow,
    CommentRow,
    EmailChangeRow,
    EventOrganizationRow,
    EventRow,
    FocusCategoryRow,
    FocusSessionRow,
    HoldRow,
    IdempotencyKeyRow,
    JobRunRow,
    MusicTrackRow,
    OrganizationMemberRow,
    OrganizationRow,
    OutboxRow,
    PaymentRow,
    ReadingSessionRow,
    RefreshTokenRow,
    SessionStatsRow,
    StripeEventRow,
    TaskRow,
    UserRow,
    refresh_tokens,
)
from domain.errors import DomainError

#: ``(identifier, password) → user id``; raises a ``DomainError`` when refused (wrong
#: credentials, throttled, not an admin).
SignIn = Callable[[str, str], Awaitable[int]]
#: ``user id → is that user still an active admin?``
StillAdmin = Callable[[int], Awaitable[bool]]

SESSION_KEY = "admin_user_id"
SESSION_SECONDS = 8 * 3600


def session_key(secret_key: str) -> str:
    """A key of its own for the admin session cookie, derived from ``SECRET_KEY``."""
    return hashlib.sha256(b"athenaeum-admin-session\x00" + secret_key.encode()).hexdigest()


class AdminAuth(AuthenticationBackend):
    def __init__(
        self, secret_key: str, sign_in: SignIn, still_admin: StillAdmin, *, path: str, https_only: bool
    ) -> None:
        super().__init__(
            secret_key=session_key(secret_key),
            session_cookie="athenaeum_admin",
            max_age=SESSION_SECONDS,
            path=path,
            same_site="strict",  # sqladmin forms carry no CSRF token: the cookie never leaves the site
            https_only=https_only,
        )
        self._sign_in = sign_in
        self._still_admin = still_admin

    async def login(self, request: Request) -> bool:
        form = await request.form()
        identifier = str(form.get("username") or "").strip()
        password = str(form.get("password") or "")
        if not identifier or not password or len(identifier) > 254 or len(password) > 1024:  # noqa: PLR2004
            return False
        try:
            user_id = await self._sign_in(identifier, password)
        except DomainError:
            return False
        request.session.clear()
        request.session[SESSION_KEY] = user_id
        return True

    async def logout(self, request: Request) -> bool:
        request.session.clear()
        return True

    async def authenticate(self, request: Request) -> bool:
        user_id = request.session.get(SESSION_KEY)
        if not isinstance(user_id, int) or not await self._still_admin(user_id):
            request.session.clear()
            return False
        return True


def _now() -> datetime:
    return datetime.now(UTC)


class BaseView(ModelView):
    """Defaults for every table: newest first, 50 rows a page, creation time filled in."""

    page_size = 50
    page_size_options: ClassVar[list[int]] = [25, 50, 100]
    column_default_sort: ClassVar[Any] = [("id", True)]

    async def on_model_change(self, data: dict[str, Any], model: Any, is_created: bool, request: Request) -> None:
        if is_created and hasattr(model, "created_at") and not data.get("created_at"):
            data["created_at"] = _now()


def _image_preview(model: Any, _attribute: Any) -> Markup:
    url = getattr(model, "image_url", None)
    if not url or not str(url).startswith(("/media/", "https://", "http://")):
        return Markup("")
    return Markup('<img src="{}" alt="event image" class="athenaeum-image-preview" style="{}">').format(
        url, "max-height:64px;max-width:128px;object-fit:contain"
    )


class UserView(BaseView, model=UserRow):
    name, name_plural, icon = "User", "Users", "fa-solid fa-user"
    can_create = False  # passwords need hashing: use the API or `athenaeum users create-admin`
    column_list: ClassVar[list[Any]] = [
        UserRow.id,
        UserRow.username,
        UserRow.email,
        UserRow.country,
        UserRow.is_premium,
        UserRow.is_admin,
        UserRow.is_active,
        UserRow.created_at,
    ]
    column_details_exclude_list: ClassVar[list[Any]] = [UserRow.password_hash]
    form_columns: ClassVar[list[Any]] = [
        UserRow.username,
        UserRow.email,
        UserRow.phone,
        UserRow.country,
        UserRow.date_of_birth,
        UserRow.avatar_url,
        UserRow.is_premium,
        UserRow.is_admin,
        UserRow.is_active,
    ]
    column_export_exclude_list: ClassVar[list[Any]] = [UserRow.password_hash]
    column_searchable_list: ClassVar[list[Any]] = [UserRow.username, UserRow.email]
    column_sortable_list: ClassVar[list[Any]] = [UserRow.id, UserRow.username, UserRow.email, UserRow.created_at]
    column_filters: ClassVar[list[Any]] = [
        BooleanFilter(UserRow.is_admin),
        BooleanFilter(UserRow.is_premium),
        BooleanFilter(UserRow.is_active),
        AllUniqueStringValuesFilter(UserRow.country),
    ]

    async def on_model_change(self, data: dict[str, Any], model: Any, is_created: bool, request: Request) -> None:
        if model.id == request.session.get(SESSION_KEY) and (
            data.get("is_admin") is False or data.get("is_active") is False
        ):
            msg = "Admins cannot remove their own admin rights or deactivate themselves."
            raise ValueError(msg)
        if data.get("email"):
            data["email"] = str(data["email"]).strip().lower()

    async def after_model_change(self, data: dict[str, Any], model: Any, is_created: bool, request: Request) -> None:
        if not model.is_active:
            # As PATCH /api/users/{id} does: a deactivated user's refresh tokens stop working.
            async with self.session_maker() as session:
                await session.execute(
                    update(refresh_tokens)
                    .where(refresh_tokens.c.user_id == model.id, refresh_tokens.c.revoked_at.is_(None))
                    .values(revoked_at=_now())
                )
                await session.commit()


class SessionStatsView(BaseView, model=SessionStatsRow):
    name, name_plural, icon = "Reading statistics", "Reading statistics", "fa-solid fa-chart-simple"
    can_create = can_edit = False
    column_default_sort: ClassVar[Any] = [("user_id", False)]
    column_list = "__all__"
    column_filters: ClassVar[list[Any]] = [OperationColumnFilter(SessionStatsRow.user_id)]


class RefreshTokenView(BaseView, model=RefreshTokenRow):
    name, name_plural, icon = "Refresh token", "Refresh tokens", "fa-solid fa-key"
    can_create = can_edit = False
    column_default_sort: ClassVar[Any] = [("issued_at", True)]
    column_list = "__all__"
    column_searchable_list: ClassVar[list[Any]] = [RefreshTokenRow.family_id, RefreshTokenRow.jti]
    column_filters: ClassVar[list[Any]] = [OperationColumnFilter(RefreshTokenRow.user_id)]


class EmailChangeView(BaseView, model=EmailChangeRow):
    name, name_plural, icon = "Email change", "Email changes", "fa-solid fa-at"
    can_create = can_edit = False
    column_exclude_list: ClassVar[list[Any]] = [EmailChangeRow.token_hash]
    column_details_exclude_list: ClassVar[list[Any]] = [EmailChangeRow.token_hash]
    column_searchable_list: ClassVar[list[Any]] = [EmailChangeRow.new_email]
    column_filters: ClassVar[list[Any]] = [OperationColumnFilter(EmailChangeRow.user_id)]


class BookView(BaseView, model=BookRow):
    name, name_plural, icon = "Book", "Books", "fa-solid fa-book"
    column_list: ClassVar[list[Any]] = [
        BookRow.id,
        BookRow.title,
        BookRow.author,
        BookRow.publish_year,
        BookRow.cover,
        BookRow.inventory,
        BookRow.daily_fee_cents,
    ]
    column_searchable_list: ClassVar[list[Any]] = [BookRow.title, BookRow.author]
    column_sortable_list: ClassVar[list[Any]] = [BookRow.id, BookRow.title, BookRow.publish_year, BookRow.inventory]
    column_filters: ClassVar[list[Any]] = [
        AllUniqueStringValuesFilter(BookRow.cover),
        OperationColumnFilter(BookRow.publish_year),
        OperationColumnFilter(BookRow.inventory),
        OperationColumnFilter(BookRow.author),
    ]


class ReadingSessionView(BaseView, model=ReadingSessionRow):
    name, name_plural, icon = "Reading session", "Reading sessions", "fa-solid fa-book-open-reader"
    column_list = "__all__"
    column_filters: ClassVar[list[Any]] = [
        OperationColumnFilter(ReadingSessionRow.user_id),
        OperationColumnFilter(ReadingSessionRow.book_id),
    ]


class BorrowingView(BaseView, model=BorrowingRow):
    name, name_plural, icon = "Borrowing", "Borrowings", "fa-solid fa-hand-holding"
    column_list = "__all__"
    column_filters: ClassVar[list[Any]] = [
        OperationColumnFilter(BorrowingRow.user_id),
        OperationColumnFilter(BorrowingRow.book_id),
    ]
    column_sortable_list: ClassVar[list[Any]] = [
        BorrowingRow.id,
        BorrowingRow.borrow_date,
        BorrowingRow.expected_return_date,
    ]


class PaymentView(BaseView, model=PaymentRow):
    name, name_plural, icon = "Payment", "Payments", "fa-solid fa-credit-card"
    column_list: ClassVar[list[Any]] = [
        PaymentRow.id,
        PaymentRow.user_id,
        PaymentRow.borrowing_id,
        PaymentRow.type,
        PaymentRow.status,
        PaymentRow.amount_cents,
        PaymentRow.currency,
        PaymentRow.session_id,
        PaymentRow.created_at,
        PaymentRow.paid_at,
    ]
    column_searchable_list: ClassVar[list[Any]] = [PaymentRow.session_id]
    column_filters: ClassVar[list[Any]] = [
        AllUniqueStringValuesFilter(PaymentRow.status),
        AllUniqueStringValuesFilter(PaymentRow.type),
        OperationColumnFilter(PaymentRow.user_id),
    ]


class IdempotencyKeyView(BaseView, model=IdempotencyKeyRow):
    name, name_plural, icon = "Idempotency key", "Idempotency keys", "fa-solid fa-fingerprint"
    can_create = can_edit = False
    column_list = "__all__"
    column_searchable_list: ClassVar[list[Any]] = [IdempotencyKeyRow.key]
    column_filters: ClassVar[list[Any]] = [
        AllUniqueStringValuesFilter(IdempotencyKeyRow.scope),
        OperationColumnFilter(IdempotencyKeyRow.user_id),
    ]


class StripeEventView(BaseView, model=StripeEventRow):
    name, name_plural, icon = "Stripe event", "Stripe events", "fa-brands fa-stripe"
    can_create = can_edit = False
    column_default_sort: ClassVar[Any] = [("received_at", True)]
    column_list = "__all__"
    column_searchable_list: ClassVar[list[Any]] = [StripeEventRow.id]
    column_filters: ClassVar[list[Any]] = [AllUniqueStringValuesFilter(StripeEventRow.type)]


class HoldView(BaseView, model=HoldRow):
    name, name_plural, icon = "Hold", "Holds", "fa-solid fa-hourglass-half"
    column_list = "__all__"
    column_filters: ClassVar[list[Any]] = [
        AllUniqueStringValuesFilter(HoldRow.status),
        OperationColumnFilter(HoldRow.book_id),
        OperationColumnFilter(HoldRow.user_id),
    ]


class OrganizationView(BaseView, model=OrganizationRow):
    name, name_plural, icon = "Organization", "Organizations", "fa-solid fa-people-group"
    column_list: ClassVar[list[Any]] = [
        OrganizationRow.id,
        OrganizationRow.title,
        OrganizationRow.postcode,
        OrganizationRow.address,
        OrganizationRow.created_by,
        OrganizationRow.created_at,
    ]
    column_searchable_list: ClassVar[list[Any]] = [OrganizationRow.title, OrganizationRow.address]
    column_sortable_list: ClassVar[list[Any]] = [OrganizationRow.id, OrganizationRow.title]
    column_filters: ClassVar[list[Any]] = [
        AllUniqueStringValuesFilter(OrganizationRow.postcode),
        OperationColumnFilter(OrganizationRow.created_by),
    ]


class OrganizationMemberView(BaseView, model=OrganizationMemberRow):
    name, name_plural, icon = "Organization member", "Organization members", "fa-solid fa-user-group"
    column_default_sort: ClassVar[Any] = [("organization_id", False), ("user_id", False)]
    column_list = "__all__"
    column_filters: ClassVar[list[Any]] = [
        OperationColumnFilter(OrganizationMemberRow.organization_id),
        OperationColumnFilter(OrganizationMemberRow.user_id),
    ]

    async def on_model_change(self, data: dict[str, Any], model: Any, is_created: bool, request: Request) -> None:
        if is_created and not data.get("joined_at"):
            data["joined_at"] = _now()


class EventView(BaseView, model=EventRow):
    name, name_plural, icon = "Event", "Events", "fa-solid fa-calendar-days"
    column_list: ClassVar[list[Any]] = [
        EventRow.id,
        EventRow.image_url,
        EventRow.title,
        EventRow.date,
        EventRow.status,
        EventRow.available_at,
        EventRow.published_at,
        EventRow.created_by,
    ]
    column_labels: ClassVar[dict[Any, str]] = {EventRow.image_url: "Image"}
    column_formatters: ClassVar[dict[Any, Any]] = {EventRow.image_url: _image_preview}
    column_formatters_detail: ClassVar[dict[Any, Any]] = {EventRow.image_url: _image_preview}
    column_searchable_list: ClassVar[list[Any]] = [EventRow.title]
    column_sortable_list: ClassVar[list[Any]] = [EventRow.id, EventRow.title, EventRow.date, EventRow.available_at]
    column_filters: ClassVar[list[Any]] = [
        AllUniqueStringValuesFilter(EventRow.status),
        OperationColumnFilter(EventRow.date),
        OperationColumnFilter(EventRow.created_by),
    ]


class EventOrganizationView(BaseView, model=EventOrganizationRow):
    name, name_plural, icon = "Event organization", "Event organizations", "fa-solid fa-link"
    column_default_sort: ClassVar[Any] = [("event_id", True)]
    column_list = "__all__"
    column_filters: ClassVar[list[Any]] = [
        OperationColumnFilter(EventOrganizationRow.event_id),
        OperationColumnFilter(EventOrganizationRow.organization_id),
    ]


class TaskView(BaseView, model=TaskRow):
    name, name_plural, icon = "Task", "Tasks", "fa-solid fa-list-check"
    column_list: ClassVar[list[Any]] = [
        TaskRow.id,
        TaskRow.name,
        TaskRow.status,
        TaskRow.due_date,
        TaskRow.creator_id,
        TaskRow.performer_id,
        TaskRow.updated_at,
    ]
    column_searchable_list: ClassVar[list[Any]] = [TaskRow.name, TaskRow.specification]
    column_sortable_list: ClassVar[list[Any]] = [TaskRow.id, TaskRow.name, TaskRow.due_date]
    column_filters: ClassVar[list[Any]] = [
        AllUniqueStringValuesFilter(TaskRow.status),
        OperationColumnFilter(TaskRow.creator_id),
        OperationColumnFilter(TaskRow.performer_id),
        OperationColumnFilter(TaskRow.due_date),
    ]

    async def on_model_change(self, data: dict[str, Any], model: Any, is_created: bool, request: Request) -> None:
        now = _now()
        if is_created and not data.get("created_at"):
            data["created_at"] = now
        data["updated_at"] = now


class CommentView(BaseView, model=CommentRow):
    name, name_plural, icon = "Comment", "Comments", "fa-solid fa-comment"
    column_list = "__all__"
    column_searchable_list: ClassVar[list[Any]] = [CommentRow.text]
    column_filters: ClassVar[list[Any]] = [
        OperationColumnFilter(CommentRow.task_id),
        OperationColumnFilter(CommentRow.author_id),
    ]


class ChatMessageView(BaseView, model=ChatMessageRow):
    name, name_plural, icon = "Chat message", "Chat messages", "fa-solid fa-comments"
    column_list = "__all__"
    column_searchable_list: ClassVar[list[Any]] = [ChatMessageRow.text, ChatMessageRow.room]
    column_filters: ClassVar[list[Any]] = [
        AllUniqueStringValuesFilter(ChatMessageRow.room),
        OperationColumnFilter(ChatMessageRow.sender_id),
        OperationColumnFilter(ChatMessageRow.recipient_id),
    ]


class OutboxView(BaseView, model=OutboxRow):
    name, name_plural, icon = "Outbox message", "Outbox", "fa-solid fa-paper-plane"
    can_create = False
    column_list: ClassVar[list[Any]] = [
        OutboxRow.id,
        OutboxRow.kind,
        OutboxRow.status,
        OutboxRow.attempts,
        OutboxRow.max_attempts,
        OutboxRow.next_attempt_at,
        OutboxRow.last_error,
        OutboxRow.created_at,
        OutboxRow.sent_at,
    ]
    column_searchable_list: ClassVar[list[Any]] = [OutboxRow.last_error]
    column_filters: ClassVar[list[Any]] = [
        AllUniqueStringValuesFilter(OutboxRow.status),
        AllUniqueStringValuesFilter(OutboxRow.kind),
    ]


class JobRunView(BaseView, model=JobRunRow):
    name, name_plural, icon = "Job run", "Job runs", "fa-solid fa-gears"
    can_create = can_edit = False
    column_list = "__all__"
    column_searchable_list: ClassVar[list[Any]] = [JobRunRow.detail]
    column_filters: ClassVar[list[Any]] = [
        AllUniqueStringValuesFilter(JobRunRow.job),
        AllUniqueStringValuesFilter(JobRunRow.status),
        AllUniqueStringValuesFilter(JobRunRow.node),
    ]


class FocusCategoryView(BaseView, model=FocusCategoryRow):
    name, name_plural, icon = "Focus category", "Focus categories", "fa-solid fa-tags"
    column_list = "__all__"
    column_searchable_list: ClassVar[list[Any]] = [FocusCategoryRow.name]
    column_filters: ClassVar[list[Any]] = [OperationColumnFilter(FocusCategoryRow.user_id)]


class FocusSessionView(BaseView, model=FocusSessionRow):
    name, name_plural, icon = "Focus session", "Focus sessions", "fa-solid fa-stopwatch"
    column_list = "__all__"
    column_filters: ClassVar[list[Any]] = [
        AllUniqueStringValuesFilter(FocusSessionRow.status),
        OperationColumnFilter(FocusSessionRow.user_id),
        OperationColumnFilter(FocusSessionRow.category_id),
    ]


class AchievementView(BaseView, model=AchievementRow):
    name, name_plural, icon = "Achievement", "Achievements", "fa-solid fa-trophy"
    column_default_sort: ClassVar[Any] = [("unlocked_at", True)]
    column_list = "__all__"
    column_filters: ClassVar[list[Any]] = [
        AllUniqueStringValuesFilter(AchievementRow.code),
        OperationColumnFilter(AchievementRow.user_id),
    ]


class MusicTrackView(BaseView, model=MusicTrackRow):
    name, name_plural, icon = "Music track", "Music tracks", "fa-solid fa-music"
    column_list = "__all__"
    column_searchable_list: ClassVar[list[Any]] = [MusicTrackRow.title]


#: One view per table, with the slug used in its URLs (``/admin/<slug>/list``).
VIEWS: dict[str, type[ModelView]] = {
    "users": UserView,
    "session-stats": SessionStatsView,
    "refresh-tokens": RefreshTokenView,
    "email-changes": EmailChangeView,
    "books": BookView,
    "reading-sessions": ReadingSessionView,
    "borrowings": BorrowingView,
    "payments": PaymentView,
    "idempotency-keys": IdempotencyKeyView,
    "stripe-events": StripeEventView,
    "holds": HoldView,
    "organizations": OrganizationView,
    "organization-members": OrganizationMemberView,
    "events": EventView,
    "event-organizations": EventOrganizationView,
    "tasks": TaskView,
    "comments": CommentView,
    "chat-messages": ChatMessageView,
    "outbox": OutboxView,
    "job-runs": JobRunView,
    "focus-categories": FocusCategoryView,
    "focus-sessions": FocusSessionView,
    "achievements": AchievementView,
    "music-tracks": MusicTrackView,
}


def build_admin_app(
    engine: AsyncEngine,
    *,
    secret_key: str,
    sign_in: SignIn,
    still_admin: StillAdmin,
    base_url: str = "/admin",
    https_only: bool = False,
) -> Starlette:
    """A Starlette app serving the admin UI at ``base_url`` (mount it there, path intact)."""
    app = Starlette()
    admin = Admin(
        app,
        engine=engine,
        base_url=base_url,
        title="Athenaeum admin",
        authentication_backend=AdminAuth(secret_key, sign_in, still_admin, path=base_url, https_only=https_only),
    )

    async def bad_request(request: Request, _exc: Exception) -> Response:
        # A malformed id in the address (``/admin/users/details/abc``, or too large for the
        # column) is the visitor's mistake: a 400 page, not a server error.
        response: Response = await admin.templates.TemplateResponse(
            request,
            "sqladmin/error.html",
            {"status_code": 400, "message": "Invalid request: check the address."},
            status_code=400,
        )
        return response

    for error in (ValueError, TypeError, StatementError):
        admin.admin.add_exception_handler(error, bad_request)
    for slug, view in VIEWS.items():
        # sqladmin keeps the engine on the view class: a subclass per app keeps two apps
        # (e.g. two test databases) from sharing one.
        admin.add_view(type(view.__name__, (view,), {"identity": slug}))
    return app
