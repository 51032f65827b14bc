"""``TelegramNotifier``: the Bot API's ``sendMessage`` to the library's chat.

Any failure (network, timeout, a non-2xx answer, ``ok: false``) raises ``DeliveryFailed``
so that the outbox tries again later. The bot token is part of the URL: it never appears
in an error message.
"""

from __future__ import annotations

import httpx

from application.ports.notifications import DeliveryFailed

MAX_TEXT = 4096  # Telegram's limit for one message


class TelegramNotifier:
    def __init__(
        self, *, token: str, chat_id: str | None, api_base: str = "https://api.telegram.org", timeout: float = 10.0
    ) -> None:
        self._url = f"{api_base.rstrip('/')}/bot{token}/sendMessage"
        self._chat_id, self._timeout = chat_id, timeout

    async def notify(self, text: str) -> None:
        if not self._chat_id:
            raise DeliveryFailed("ATHENAEUM_TELEGRAM_CHAT_ID is not set")
        body = {"chat_id": self._chat_id, "text": text[:MAX_TEXT], "disable_web_page_preview": True}
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(self._url, json=body)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"Telegram unreachable ({type(exc).__name__})") from None
        if not response.is_success:
            raise DeliveryFailed(f"Telegram answered HTTP {response.status_code}: {response.text[:200]}")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not (isinstance(answer, dict) and answer.get("ok") is True):
            raise DeliveryFailed(f"Telegram did not accept the message: {response.text[:200]}")
