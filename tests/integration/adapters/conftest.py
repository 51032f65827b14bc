from __future__ import annotations

from tests.integration.fakes.smtp_server import smtp_server, smtp_server_process, smtp_server_with_auth  # noqa: F401
