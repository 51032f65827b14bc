"""``StripePaymentGateway``: Stripe Checkout through the official SDK, asynchronously.

It owns its ``stripe.StripeClient`` (no global ``stripe.api_key``); ``STRIPE_API_BASE``
points it at another server (a local fake in tests). SDK errors become our errors:
unreachable or too slow → ``PaymentProviderUnavailable`` (503), an error answer →
``PaymentRejected`` (502).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe

from adapters.stripe.events import PAID_STATES, cancel_url, payment_id_of, success_url, verified_event
from application.ports.clock import Clock
from application.ports.payments import CheckoutState, PaymentEvent, PaymentProviderUnavailable, PaymentRejected
from domain.payments import CheckoutSession, Payment

log = logging.getLogger("athenaeum.stripe")

#: Stripe accepts 30 minutes to 24 hours; two minutes are kept back for clock skew.
CHECKOUT_LIFETIME = timedelta(hours=24) - timedelta(minutes=2)
NOT_FOUND = 404


class StripePaymentGateway:
    def __init__(
        self,
        *,
        secret_key: str,
        public_base_url: str,
        clock: Clock,
        webhook_secret: str | None = None,
        api_base: str | None = None,
        timeout: float = 10.0,
        max_network_retries: int = 1,
        checkout_lifetime: timedelta = CHECKOUT_LIFETIME,
    ) -> None:
        self._secret_key, self._webhook_secret = secret_key, webhook_secret
        self._base_url, self._clock = public_base_url.rstrip("/"), clock
        self._api_base, self._timeout, self._retries = api_base, timeout, max_network_retries
        self._lifetime = checkout_lifetime
        self._http: stripe.HTTPXClient | None = None
        self._client: stripe.StripeClient | None = None

    @property
    def client(self) -> stripe.StripeClient:
        """Built on first use (building it does no I/O, but it owns a connection pool)."""
        if self._client is None:
            self._http = stripe.HTTPXClient(timeout=self._timeout)
            self._client = stripe.StripeClient(
                self._secret_key,
                base_addresses={"api": self._api_base} if self._api_base else None,
                http_client=self._http,
                max_network_retries=self._retries,
            )
        return self._client

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close_async()
        self._http = self._client = None

    async def open_checkout(self, payment: Payment, *, idempotency_key: str) -> CheckoutSession:
        expires_at = self._clock.now() + self._lifetime
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": payment.amount.currency,
                        "unit_amount": payment.amount.cents,
                        "product_data": {"name": payment.description},
                    },
                }
            ],
            "metadata": {"payment_id": str(payment.id), "payment_type": payment.type.value},
            "client_reference_id": str(payment.id),
            "success_url": success_url(self._base_url),
            "cancel_url": cancel_url(self._base_url),
            "expires_at": int(expires_at.timestamp()),
        }
        try:
            session = await self.client.v1.checkout.sessions.create_async(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _translated(exc, "open a checkout session") from exc
        data = session.to_dict()
        if not isinstance(data.get("id"), str) or not isinstance(data.get("url"), str):
            raise PaymentRejected("Stripe returned a checkout session without an id or URL.")
        return CheckoutSession(
            id=data["id"],
            url=data["url"],
            expires_at=datetime.fromtimestamp(int(data.get("expires_at") or expires_at.timestamp()), UTC),
        )

    async def fetch_checkout(self, session_id: str) -> CheckoutState | None:
        try:
            session = await self.client.v1.checkout.sessions.retrieve_async(session_id)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == NOT_FOUND:
                return None
            raise _translated(exc, "read a checkout session") from exc
        except stripe.StripeError as exc:
            raise _translated(exc, "read a checkout session") from exc
        data = session.to_dict()
        return CheckoutState(
            session_id=session_id,
            paid=data.get("payment_status") in PAID_STATES,
            expired=data.get("status") == "expired",
            payment_id=payment_id_of(data.get("metadata")),
        )

    def parse_webhook(self, payload: bytes, signature: str | None) -> PaymentEvent:
        return verified_event(payload, signature, self._webhook_secret)


def _translated(exc: stripe.StripeError, doing: str) -> PaymentProviderUnavailable | PaymentRejected:
    if isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)):
        log.warning("stripe unavailable: could not %s: %s", doing, type(exc).__name__)
        return PaymentProviderUnavailable(f"Stripe could not be reached to {doing}; nothing was charged. Try again.")
    log.error("stripe refused to %s: %s (HTTP %s) %s", doing, type(exc).__name__, exc.http_status, exc.user_message)
    return PaymentRejected(f"Stripe answered with an error (HTTP {exc.http_status}) when asked to {doing}.")
