from __future__ import annotations

from dependency_injector import containers, providers

from application.use_cases import email_change


class EmailChangeUseCases(containers.DeclarativeContainer):
    gw = providers.DependenciesContainer()

    request_email_change = providers.Factory(
        email_change.RequestEmailChange,
        uow=gw.uow.provider,
        dispatch=gw.dispatch,
        clock=gw.clock,
        limiter=gw.rate_limiter,
        base_url=gw.settings.provided.base_url,
    )
    confirm_email_change = providers.Factory(
        email_change.ConfirmEmailChange, uow=gw.uow.provider, dispatch=gw.dispatch, clock=gw.clock
    )
