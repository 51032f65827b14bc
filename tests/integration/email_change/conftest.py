from __future__ import annotations

from tests.integration.fakes.mail_app import clock, container, mail_overrides, settings  # noqa: F401
from tests.integration.fakes.smtp_server import smtp_server, smtp_server_process  # noqa: F401
