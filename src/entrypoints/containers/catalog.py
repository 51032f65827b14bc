"""Use cases of the catalog and reading area."""

from __future__ import annotations

from dependency_injector import containers, providers

from application.use_cases import catalog, reading


class CatalogUseCases(containers.DeclarativeContainer):
    gw = providers.DependenciesContainer()

    # -- books
    list_books = providers.Factory(catalog.ListBooks, uow=gw.reader.provider)
    get_book = providers.Factory(catalog.GetBook, uow=gw.reader.provider)
    create_book = providers.Factory(catalog.CreateBook, uow=gw.uow.provider, clock=gw.clock)
    update_book = providers.Factory(catalog.UpdateBook, uow=gw.uow.provider, clock=gw.clock)
    delete_book = providers.Factory(catalog.DeleteBook, uow=gw.uow.provider)

    # -- reading sessions
    start_reading = providers.Factory(reading.StartReading, uow=gw.uow.provider, clock=gw.clock, codec=gw.tokens)
    end_reading = providers.Factory(reading.EndReading, uow=gw.uow.provider, clock=gw.clock)
    list_reading_sessions = providers.Factory(reading.ListReadingSessions, uow=gw.reader.provider, clock=gw.clock)
    reading_totals = providers.Factory(reading.ReadingTotals, uow=gw.reader.provider)
    record_reading_session = providers.Factory(reading.RecordReadingSession, uow=gw.uow.provider, clock=gw.clock)
    get_reading_session = providers.Factory(reading.GetReadingSession, uow=gw.reader.provider, clock=gw.clock)
    delete_reading_session = providers.Factory(reading.DeleteReadingSession, uow=gw.uow.provider, clock=gw.clock)
    refresh_reading_stats = providers.Factory(reading.RefreshReadingStats, uow=gw.uow.provider, clock=gw.clock)
