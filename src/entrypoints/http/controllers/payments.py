"""``/api/payments`` and ``/api/premium``: payments, Stripe's success/cancel pages and
webhook, renewals, premium, and the sandbox's checkout page."""

from __future__ import annotations

from html import escape
from typing import Annotated

from litestar import Controller, MediaType, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, HeaderParameter, PathParameter, QueryParameter, RawBody
from litestar.response import Redirect
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_303_SEE_OTHER

from application.ports.payments import PaymentFilter
from application.results import PageRequest
from application.use_cases.identity import Principal
from application.use_cases.payments import (
    ApplyPaymentEvent,
    BuyPremium,
    ConfirmPayment,
    GetPayment,
    ListPayments,
    PaySandboxCheckout,
    RenewPayment,
    SandboxCheckout,
    ShowSandboxCheckout,
)
from domain.payments import PaymentId, PaymentStatus, PaymentType
from domain.shared import UserId
from entrypoints.http.controllers.circulation import IdempotencyKey
from entrypoints.http.deps import use_case
from entrypoints.http.schemas.circulation import MAX_ID, PaymentResponse, WebhookResponse
from entrypoints.http.schemas.common import NO_NUL, DetailResponse, PageResponse

PaymentPathId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
SessionId = Annotated[
    str, QueryParameter(min_length=1, max_length=255, description="The checkout session's id.", pattern=NO_NUL)
]
CANCEL_DETAIL = (
    "The payment was not made. Nothing is lost: the checkout session stays open for 24 hours from its "
    "creation, so you can pay later from the payment's session_url; once it has expired, renew the payment "
    "with POST /api/payments/{id}/renew."
)


class PaymentsController(Controller):
    path = "/api/payments"
    tags = ["Payments"]
    dependencies = {
        "list_payments": use_case(lambda c: c.circulation.list_payments),
        "get_payment": use_case(lambda c: c.circulation.get_payment),
        "confirm_payment": use_case(lambda c: c.circulation.confirm_payment),
        "renew_payment": use_case(lambda c: c.circulation.renew_payment),
        "apply_payment_event": use_case(lambda c: c.circulation.apply_payment_event),
    }

    @get(
        operation_id="ListPayments",
        summary="Your payments (admins: everyone's)",
        description="Newest first. Filters `status`, `type`, `borrowing_id`; admins may filter by `user_id`.",
        security=[{"BearerAuth": []}],
    )
    async def list_payments_(
        self,
        principal: NamedDependency[Principal],
        list_payments: NamedDependency[ListPayments],
        page: NamedDependency[PageRequest],
        status: FromQuery[PaymentStatus | None] = None,
        type: FromQuery[PaymentType | None] = None,
        borrowing_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        user_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID, description="Admins only.")] = None,
    ) -> PageResponse[PaymentResponse]:
        filters = PaymentFilter(
            user_id=UserId(user_id) if user_id else None, status=status, type=type, borrowing_id=borrowing_id
        )
        result = await list_payments(viewer=principal, filters=filters, page=page)
        return PageResponse.of(result, PaymentResponse.of)

    @get(
        "/{payment_id:int}",
        operation_id="GetPayment",
        summary="One payment (owner or admin)",
        description="Another user's payment is a 404.",
        security=[{"BearerAuth": []}],
    )
    async def get_payment_(
        self, payment_id: PaymentPathId, principal: NamedDependency[Principal], get_payment: NamedDependency[GetPayment]
    ) -> PaymentResponse:
        return PaymentResponse.of(await get_payment(viewer=principal, payment_id=PaymentId(payment_id)))

    @get(
        "/success",
        operation_id="PaymentSucceeded",
        summary="Where the checkout sends the payer after paying",
        description="Asks the payment provider whether the session is paid; if so the payment is PAID "
        "(a PREMIUM payment makes its user premium) → 200 with the payment. Calling it again is harmless. "
        "Not paid (yet) → 409; unknown session → 404; provider unreachable → 503.",
    )
    async def success(self, session_id: SessionId, confirm_payment: NamedDependency[ConfirmPayment]) -> PaymentResponse:
        return PaymentResponse.of(await confirm_payment(session_id=session_id))

    @get(
        "/cancel",
        operation_id="PaymentCancelled",
        summary="Where the checkout sends the payer who backs out",
        description="Nothing changes: the session stays open for 24 hours, so the payment can be made later.",
    )
    async def cancel(self, session_id: SessionId) -> DetailResponse:
        return DetailResponse(detail=CANCEL_DETAIL)

    @post(
        "/{payment_id:int}/renew",
        status_code=HTTP_200_OK,
        operation_id="RenewPayment",
        summary="A new checkout session for your expired payment",
        description="Only an `EXPIRED` payment is renewed (→ `PENDING` with a new `session_url`); any other "
        "status → 409. Only the payer may renew (an admin renewing someone else's → 403).",
        security=[{"BearerAuth": []}],
    )
    async def renew(
        self,
        payment_id: PaymentPathId,
        principal: NamedDependency[Principal],
        renew_payment: NamedDependency[RenewPayment],
    ) -> PaymentResponse:
        return PaymentResponse.of(await renew_payment(viewer=principal, payment_id=PaymentId(payment_id)))

    @post(
        "/webhook",
        status_code=HTTP_200_OK,
        operation_id="StripeWebhook",
        summary="Stripe's webhook",
        description="Verifies `Stripe-Signature` against `STRIPE_WEBHOOK_SECRET` (missing or wrong → 400; "
        "without a configured secret every delivery is refused). `checkout.session.completed` marks the "
        "payment PAID, `checkout.session.expired` marks it EXPIRED (unless it was paid or renewed since). "
        "Every event id is recorded: a duplicate delivery changes nothing; events may come in any order.",
    )
    async def webhook(
        self,
        body: RawBody,
        apply_payment_event: NamedDependency[ApplyPaymentEvent],
        signature: Annotated[str | None, HeaderParameter(name="Stripe-Signature", max_length=4096)] = None,
    ) -> WebhookResponse:
        event, outcome = await apply_payment_event(payload=body, signature=signature)
        return WebhookResponse(received=True, event_id=event.id, outcome=outcome.value)


class PremiumController(Controller):
    path = "/api/premium"
    tags = ["Payments"]
    security = [{"BearerAuth": []}]
    dependencies = {"buy_premium": use_case(lambda c: c.circulation.buy_premium)}

    @post(
        "/checkout",
        status_code=HTTP_201_CREATED,
        operation_id="BuyPremium",
        summary="Buy the premium membership",
        description="Creates a `PREMIUM` payment of `PREMIUM_PRICE_CENTS` with a checkout session; once it is "
        "PAID (success page or webhook) you are premium. Already premium → 409; a premium checkout already "
        "open → 409 (its `payment_id` is in the problem). Accepts `Idempotency-Key` like borrowing does.",
    )
    async def checkout(
        self,
        principal: NamedDependency[Principal],
        buy_premium: NamedDependency[BuyPremium],
        idempotency_key: IdempotencyKey = None,
    ) -> PaymentResponse:
        return PaymentResponse.of(await buy_premium(user_id=principal.user_id, idempotency_key=idempotency_key))


class SandboxCheckoutController(Controller):
    """The built-in sandbox's checkout page (only when no Stripe key is configured)."""

    path = "/api/payments/sandbox"
    tags = ["Payments"]
    dependencies = {
        "show_sandbox_checkout": use_case(lambda c: c.circulation.show_sandbox_checkout),
        "pay_sandbox_checkout": use_case(lambda c: c.circulation.pay_sandbox_checkout),
    }

    @get(
        "/{session_id:str}",
        operation_id="SandboxCheckoutPage",
        summary="The sandbox's checkout page",
        description="Without `STRIPE_SECRET_KEY`, a payment's `session_url` leads here: an HTML page with the "
        "amount and a Pay button. 404 when Stripe is configured.",
        media_type=MediaType.HTML,
    )
    async def page(
        self,
        session_id: Annotated[str, PathParameter(max_length=255)],
        show_sandbox_checkout: NamedDependency[ShowSandboxCheckout],
    ) -> Response[str]:
        return Response(_page(await show_sandbox_checkout(session_id=session_id)), media_type=MediaType.HTML)

    @post(
        "/{session_id:str}",
        status_code=HTTP_303_SEE_OTHER,
        operation_id="SandboxCheckoutPay",
        summary="Pay on the sandbox's checkout page",
        description="Does what Stripe does when a checkout is paid (the `checkout.session.completed` event, "
        "applied like a webhook), then redirects to the success page. An expired session → 409.",
    )
    async def pay(
        self,
        session_id: Annotated[str, PathParameter(max_length=255)],
        pay_sandbox_checkout: NamedDependency[PaySandboxCheckout],
    ) -> Redirect:
        return Redirect(await pay_sandbox_checkout(session_id=session_id), status_code=HTTP_303_SEE_OTHER)


def _page(checkout: SandboxCheckout) -> str:
    payment = checkout.payment
    amount = f"{payment.amount.cents // 100}.{payment.amount.cents % 100:02d} {payment.amount.currency.upper()}"
    if payment.status is PaymentStatus.PAID:
        action = f'<p>This payment is paid. <a href="{escape(checkout.success_url)}">Continue</a></p>'
    elif checkout.expired:
        action = "<p>This checkout session has expired. Renew the payment to get a new one.</p>"
    else:
        action = (
            '<form method="post"><button type="submit">Pay</button></form>'
            f'<p><a href="{escape(checkout.cancel_url)}">Cancel</a></p>'
        )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Athenaeum sandbox checkout</title></head>"
        "<body><h1>Sandbox checkout</h1><p>No money moves here: this page stands in for Stripe Checkout.</p>"
        f"<p>{escape(payment.description)}</p><p><strong>{escape(amount)}</strong></p>{action}</body></html>"
    )
