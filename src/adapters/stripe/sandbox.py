"""``SandboxPaymentGateway``: a stand-in for Stripe Checkout when no key is configured,
so the whole payment flow works offline.

Sessions are ``cs_sandbox_…`` whose URL is our own page ``/api/payments/sandbox/{id}``;
its "Pay" button does what Stripe does when a checkout is paid: it produces the
``checkout.session.completed`` event, applied through the webhook's path. The sandbox
keeps no state of its own: a sandbox session is paid exactly when its payment is PAID
(the payments table survives restarts), so asking it about an unpaid session answers
"not paid".

Webhooks: verified exactly like Stripe's when ``STRIPE_WEBHOOK_SECRET`` is set (so
``stripe trigger``-style deliveries can be replayed locally); refused (400) otherwise.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from adapters.stripe.events import cancel_url, success_url, verified_event
from application.ports.clock import Clock
from application.ports.payments import CheckoutState, PaymentEvent, PaymentEventKind
from domain.payments import CheckoutSession, Payment

PREFIX = "cs_sandbox_"
CHECKOUT_LIFETIME = timedelta(hours=24)


class SandboxPaymentGateway:
    def __init__(
        self,
        *,
        public_base_url: str,
        clock: Clock,
        webhook_secret: str | None = None,
        checkout_lifetime: timedelta = CHECKOUT_LIFETIME,
    ) -> None:
        self._base_url, self._clock = public_base_url.rstrip("/"), clock
        self._webhook_secret, self._lifetime = webhook_secret, checkout_lifetime

    async def open_checkout(self, payment: Payment, *, idempotency_key: str) -> CheckoutSession:  # noqa: ARG002
        session_id = f"{PREFIX}{secrets.token_urlsafe(24)}"
        return CheckoutSession(
            id=session_id,
            url=f"{self._base_url}/api/payments/sandbox/{session_id}",
            expires_at=self._clock.now() + self._lifetime,
        )

    async def fetch_checkout(self, session_id: str) -> CheckoutState | None:
        if not session_id.startswith(PREFIX):
            return None
        return CheckoutState(session_id=session_id, paid=False, expired=False)

    def parse_webhook(self, payload: bytes, signature: str | None) -> PaymentEvent:
        return verified_event(payload, signature, self._webhook_secret)

    # -- the hosted page's part (CheckoutSimulator)

    def completion(self, session_id: str, *, now: datetime) -> PaymentEvent:  # noqa: ARG002
        return PaymentEvent(
            id=f"evt_sandbox_{session_id.removeprefix(PREFIX)}",
            type="checkout.session.completed",
            kind=PaymentEventKind.COMPLETED,
            session_id=session_id,
            paid=True,
        )

    def success_url(self, session_id: str) -> str:
        return success_url(self._base_url, session_id)

    def cancel_url(self, session_id: str) -> str:
        return cancel_url(self._base_url, session_id)
