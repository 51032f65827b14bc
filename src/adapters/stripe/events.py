"""Stripe webhooks: verifying a delivery and reading the event (shared by both gateways)."""

from __future__ import annotations

import json
from typing import Any

import stripe

from application.ports.payments import InvalidWebhook, PaymentEvent, PaymentEventKind
from domain.payments import PaymentId

#: Deliveries older than this are refused (Stripe's own default), so a captured one cannot be replayed later.
TOLERANCE_SECONDS = 300
COMPLETED_TYPES = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded"})
EXPIRED_TYPES = frozenset({"checkout.session.expired"})
PAID_STATES = frozenset({"paid", "no_payment_required"})
MAX_ID = 255
MAX_DIGITS, MAX_PAYMENT_ID = 10, 2**31 - 1


def success_url(base_url: str, session_id: str = "{CHECKOUT_SESSION_ID}") -> str:
    return f"{base_url}/api/payments/success?session_id={session_id}"


def cancel_url(base_url: str, session_id: str = "{CHECKOUT_SESSION_ID}") -> str:
    return f"{base_url}/api/payments/cancel?session_id={session_id}"


def verified_event(payload: bytes, signature: str | None, secret: str | None) -> PaymentEvent:
    """Check ``Stripe-Signature`` (HMAC-SHA256 of ``"<t>.<body>"`` with the endpoint's secret)
    and read the event. Anything wrong → ``InvalidWebhook`` (400)."""
    if not secret:
        raise InvalidWebhook("Webhooks are refused: no webhook secret is configured (ATHENAEUM_STRIPE_WEBHOOK_SECRET).")
    if not signature:
        raise InvalidWebhook("The Stripe-Signature header is missing.")
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, signature, secret, TOLERANCE_SECONDS)
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError, stripe.SignatureVerificationError) as exc:
        raise InvalidWebhook("The Stripe-Signature header does not match the body.") from exc
    return event_from(data)


def event_from(data: Any) -> PaymentEvent:
    """Our view of a Stripe event object (a plain dict)."""
    if not isinstance(data, dict):
        raise InvalidWebhook("The body is not a Stripe event.")
    event_id, event_type = data.get("id"), data.get("type")
    if not isinstance(event_id, str) or not isinstance(event_type, str) or not 0 < len(event_id) <= MAX_ID:
        raise InvalidWebhook("The body is not a Stripe event.")
    obj = (data.get("data") or {}).get("object") if isinstance(data.get("data"), dict) else None
    if event_type in COMPLETED_TYPES:
        kind = PaymentEventKind.COMPLETED
    elif event_type in EXPIRED_TYPES:
        kind = PaymentEventKind.EXPIRED
    else:
        kind = PaymentEventKind.OTHER
    if kind is PaymentEventKind.OTHER or not isinstance(obj, dict):
        return PaymentEvent(id=event_id, type=event_type, kind=PaymentEventKind.OTHER)
    session_id = obj.get("id") if isinstance(obj.get("id"), str) else None
    return PaymentEvent(
        id=event_id,
        type=event_type,
        kind=kind,
        session_id=session_id if session_id and len(session_id) <= MAX_ID else None,
        payment_id=payment_id_of(obj.get("metadata")),
        paid=obj.get("payment_status") in PAID_STATES,
    )


def payment_id_of(metadata: Any) -> PaymentId | None:
    raw = metadata.get("payment_id") if isinstance(metadata, dict) else None
    if isinstance(raw, str) and raw.isdigit() and len(raw) <= MAX_DIGITS and int(raw) <= MAX_PAYMENT_ID:
        return PaymentId(int(raw))
    return None
