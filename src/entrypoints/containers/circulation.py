from __future__ import annotations

from dependency_injector import containers, providers

from application.use_cases import circulation, holds, payments


class CirculationUseCases(containers.DeclarativeContainer):
    """Borrowings, returns and payments (Stripe Checkout or the sandbox)."""

    gw = providers.DependenciesContainer()

    borrow_book = providers.Factory(
        circulation.BorrowBook,
        uow=gw.uow.provider,
        gateway=gw.payments,
        dispatch=gw.dispatch,
        policy=gw.loan_policy,
        clock=gw.clock,
        codec=gw.tokens,
    )
    return_book = providers.Factory(
        circulation.ReturnBook,
        uow=gw.uow.provider,
        gateway=gw.payments,
        dispatch=gw.dispatch,
        policy=gw.loan_policy,
        clock=gw.clock,
    )
    list_borrowings = providers.Factory(circulation.ListBorrowings, uow=gw.reader.provider)
    get_borrowing = providers.Factory(circulation.GetBorrowing, uow=gw.reader.provider)

    confirm_payment = providers.Factory(
        payments.ConfirmPayment, uow=gw.uow.provider, reader=gw.reader.provider, gateway=gw.payments, clock=gw.clock
    )
    apply_payment_event = providers.Factory(
        payments.ApplyPaymentEvent, uow=gw.uow.provider, gateway=gw.payments, clock=gw.clock
    )
    renew_payment = providers.Factory(payments.RenewPayment, uow=gw.uow.provider, gateway=gw.payments)
    expire_payments = providers.Factory(payments.ExpirePayments, uow=gw.uow.provider, clock=gw.clock)
    buy_premium = providers.Factory(
        payments.BuyPremium, uow=gw.uow.provider, gateway=gw.payments, price=gw.premium_price, clock=gw.clock
    )
    list_payments = providers.Factory(payments.ListPayments, uow=gw.reader.provider)
    get_payment = providers.Factory(payments.GetPayment, uow=gw.reader.provider)
    show_sandbox_checkout = providers.Factory(
        payments.ShowSandboxCheckout, uow=gw.reader.provider, simulator=gw.checkout_simulator, clock=gw.clock
    )
    pay_sandbox_checkout = providers.Factory(
        payments.PaySandboxCheckout, uow=gw.uow.provider, simulator=gw.checkout_simulator, clock=gw.clock
    )

    # -- holds (waitlists) and the overdue digest
    place_hold = providers.Factory(holds.PlaceHold, uow=gw.uow.provider, clock=gw.clock)
    list_holds = providers.Factory(holds.ListHolds, uow=gw.reader.provider)
    cancel_hold = providers.Factory(holds.CancelHold, uow=gw.uow.provider, dispatch=gw.dispatch, clock=gw.clock)
    expire_holds = providers.Factory(holds.ExpireHolds, uow=gw.uow.provider, dispatch=gw.dispatch, clock=gw.clock)
    list_overdue = providers.Factory(holds.ListOverdue, uow=gw.reader.provider, clock=gw.clock)
    send_overdue_digest = providers.Factory(
        holds.SendOverdueDigest, uow=gw.uow.provider, dispatch=gw.dispatch, clock=gw.clock
    )
