from __future__ import annotations

from dependency_injector import containers, providers

from application.use_cases.outbox import DeliverOutbox, GetOutboxStats


class DeliveryUseCases(containers.DeclarativeContainer):
    gw = providers.DependenciesContainer()

    deliver_outbox = providers.Factory(
        DeliverOutbox,
        uow=gw.uow.provider,
        senders=gw.senders,
        policies=gw.dispatch.provided.policies,
        clock=gw.clock,
    )
    outbox_stats = providers.Factory(GetOutboxStats, uow=gw.reader.provider, clock=gw.clock)
