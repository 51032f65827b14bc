from __future__ import annotations

from dependency_injector import containers, providers

from application.use_cases import identity


class IdentityUseCases(containers.DeclarativeContainer):
    gw = providers.DependenciesContainer()

    register_user = providers.Factory(
        identity.RegisterUser, uow=gw.uow.provider, hasher=gw.hasher, policy=gw.password_policy, clock=gw.clock
    )
    log_in = providers.Factory(
        identity.LogIn,
        uow=gw.uow.provider,
        hasher=gw.hasher,
        codec=gw.tokens,
        failures=gw.login_failures,
        throttle=gw.login_throttle,
        lifetimes=gw.token_lifetimes,
        clock=gw.clock,
    )
    refresh_tokens = providers.Factory(
        identity.RefreshTokens, uow=gw.uow.provider, codec=gw.tokens, lifetimes=gw.token_lifetimes, clock=gw.clock
    )
    log_out = providers.Factory(identity.LogOut, uow=gw.uow.provider, codec=gw.tokens, clock=gw.clock)
    authenticate = providers.Factory(identity.Authenticate, uow=gw.reader.provider, codec=gw.tokens)
    get_profile = providers.Factory(identity.GetProfile, uow=gw.reader.provider)
    read_own_profile = providers.Factory(identity.ReadOwnProfile, uow=gw.reader.provider, codec=gw.tokens)
    update_profile = providers.Factory(identity.UpdateProfile, uow=gw.uow.provider, clock=gw.clock)
    list_users = providers.Factory(identity.ListUsers, uow=gw.reader.provider)
    get_user = providers.Factory(identity.GetUser, uow=gw.reader.provider)
    administer_user = providers.Factory(
        identity.AdministerUser, uow=gw.uow.provider, hasher=gw.hasher, policy=gw.password_policy, clock=gw.clock
    )
    delete_user = providers.Factory(identity.DeleteUser, uow=gw.uow.provider)
