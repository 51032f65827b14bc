from __future__ import annotations

from dependency_injector import containers, providers

from application.use_cases import tasks


class TaskUseCases(containers.DeclarativeContainer):
    gw = providers.DependenciesContainer()

    create_task = providers.Factory(tasks.CreateTask, uow=gw.uow.provider, dispatch=gw.dispatch, clock=gw.clock)
    list_tasks = providers.Factory(tasks.ListTasks, uow=gw.reader.provider)
    get_task = providers.Factory(tasks.GetTask, uow=gw.reader.provider)
    update_task = providers.Factory(tasks.UpdateTask, uow=gw.uow.provider, dispatch=gw.dispatch, clock=gw.clock)
    comment_on_task = providers.Factory(tasks.CommentOnTask, uow=gw.uow.provider, dispatch=gw.dispatch, clock=gw.clock)
