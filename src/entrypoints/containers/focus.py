"""Use cases of the focus timer (categories, sessions, achievements, statistics) and music."""

from __future__ import annotations

from dependency_injector import containers, providers

from application.use_cases import focus, music


class FocusUseCases(containers.DeclarativeContainer):
    gw = providers.DependenciesContainer()

    # -- categories
    create_category = providers.Factory(focus.CreateFocusCategory, uow=gw.uow.provider)
    list_categories = providers.Factory(focus.ListFocusCategories, uow=gw.reader.provider)
    update_category = providers.Factory(focus.UpdateFocusCategory, uow=gw.uow.provider)
    delete_category = providers.Factory(focus.DeleteFocusCategory, uow=gw.uow.provider)

    # -- achievements (``evaluate_achievements`` is the hook for other areas, e.g. after a return)
    evaluate_achievements = providers.Factory(
        focus.EvaluateAchievements, reader=gw.reader.provider, uow=gw.uow.provider, clock=gw.clock
    )
    announce_completions = providers.Factory(
        focus.AnnounceCompletions, evaluate=evaluate_achievements, publisher=gw.publisher
    )

    # -- sessions
    start_session = providers.Factory(
        focus.StartFocusSession, uow=gw.uow.provider, clock=gw.clock, announce=announce_completions
    )
    stop_session = providers.Factory(focus.StopFocusSession, uow=gw.uow.provider, clock=gw.clock)
    list_sessions = providers.Factory(focus.ListFocusSessions, uow=gw.reader.provider, clock=gw.clock)
    complete_sessions = providers.Factory(
        focus.CompleteFocusSessions, uow=gw.uow.provider, clock=gw.clock, announce=announce_completions
    )

    # -- statistics
    statistics = providers.Factory(focus.FocusStatistics, uow=gw.reader.provider, clock=gw.clock)

    # -- music
    list_tracks = providers.Factory(music.ListMusicTracks, uow=gw.reader.provider)
    add_track = providers.Factory(music.AddMusicTrack, uow=gw.uow.provider, clock=gw.clock)
    delete_track = providers.Factory(music.DeleteMusicTrack, uow=gw.uow.provider)
