"""Mounting the admin web UI (a Starlette app built by sqladmin) inside the Litestar app.

Litestar strips the mount prefix and appends a slash to what remains; sqladmin's app was
built to live at ``/admin`` and redirects slashed paths, which would loop. The mount
puts the prefix back and drops the added slash (``/admin/`` itself keeps it: that is the
index page's own address).
"""

from __future__ import annotations

from typing import Any

from litestar import asgi
from litestar.handlers import ASGIRouteHandler
from litestar.types import Receive, Scope, Send

ADMIN_PATH = "/admin"


def admin_mount(app: Any, prefix: str = ADMIN_PATH) -> ASGIRouteHandler:
    @asgi(prefix, is_mount=True, copy_scope=True, name="admin-ui")
    async def admin_ui(scope: Scope, receive: Receive, send: Send) -> None:
        path = prefix + scope["path"]
        if path.endswith("/") and path != prefix + "/":
            path = path[:-1]
        scope["path"] = path
        scope["raw_path"] = path.encode()
        scope["root_path"] = ""
        await app(scope, receive, send)

    return admin_ui
