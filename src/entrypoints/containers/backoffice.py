from __future__ import annotations

from dependency_injector import containers, providers

from application.use_cases import backoffice


class BackofficeUseCases(containers.DeclarativeContainer):
    """Who may use the admin web UI (built on the identity use cases)."""

    gw = providers.DependenciesContainer()
    identity = providers.DependenciesContainer()

    sign_in_to_admin = providers.Factory(
        backoffice.SignInToAdmin,
        log_in=identity.log_in,
        authenticate=identity.authenticate,
        log_out=identity.log_out,
    )
    check_admin = providers.Factory(backoffice.CheckAdmin, uow=gw.reader.provider)
