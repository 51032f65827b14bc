"""``/api/auth``: register, log in, refresh, log out."""

from __future__ import annotations

from typing import Any

from litestar import Controller, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from application.use_cases.identity import LogIn, LogOut, Principal, RefreshTokens, RegisterUser
from domain.errors import InvalidValue
from entrypoints.http.deps import auth_rate_limit, use_case
from entrypoints.http.schemas.identity import (
    LoginRequest,
    RefreshRequest,
    RegisterRequest,
    TokenResponse,
    UserResponse,
)

RATE_LIMITED = {"rate_limit": Provide(auth_rate_limit)}


class AuthController(Controller):
    path = "/api/auth"
    tags = ["Identity"]
    dependencies = {
        "register_user": use_case(lambda c: c.identity.register_user),
        "log_in": use_case(lambda c: c.identity.log_in),
        "refresh_tokens": use_case(lambda c: c.identity.refresh_tokens),
        "log_out": use_case(lambda c: c.identity.log_out),
    }

    @post(
        "/register",
        status_code=HTTP_201_CREATED,
        operation_id="Register",
        dependencies=RATE_LIMITED,
        summary="Create an account",
        description=(
            "Password: at least 8 characters, not one of 20,000 common passwords, not the username or "
            "email, not only digits. A taken email or username → 409. Register and login share a "
            "per-IP budget (`AUTH_RATE_LIMIT_PER_MINUTE`) → 429 with `Retry-After`."
        ),
    )
    async def register(
        self,
        data: JSONBody[RegisterRequest],
        register_user: NamedDependency[RegisterUser],
        rate_limit: NamedDependency[Any],
    ) -> UserResponse:
        user = await register_user(
            username=data.username,
            email=data.email,
            password=data.password,
            phone=data.phone,
            date_of_birth=data.date_of_birth,
            country=data.country,
        )
        return UserResponse.of(user)

    @post(
        "/login",
        status_code=200,
        operation_id="LogIn",
        dependencies=RATE_LIMITED,
        summary="Log in with email or username",
        description=(
            "Returns an access token (15 min) and a refresh token (7 days). Wrong credentials → 401 with "
            "the same answer whether or not the account exists. After `LOGIN_MAX_FAILURES` failures within "
            "15 minutes the account answers 429 with `Retry-After` until the oldest failure leaves the window."
        ),
    )
    async def login(
        self, data: JSONBody[LoginRequest], log_in: NamedDependency[LogIn], rate_limit: NamedDependency[Any]
    ) -> TokenResponse:
        identifier = data.email or data.username
        if not identifier:
            raise InvalidValue("email", "Give `email` or `username`.")
        return TokenResponse.of(await log_in(identifier=identifier, password=data.password))

    @post(
        "/refresh",
        status_code=200,
        operation_id="RefreshTokens",
        summary="Rotate a refresh token",
        description=(
            "The presented refresh token stops working and a new pair is returned. Presenting a "
            "rotated token again revokes its whole family (401)."
        ),
    )
    async def refresh(
        self, data: JSONBody[RefreshRequest], refresh_tokens: NamedDependency[RefreshTokens]
    ) -> TokenResponse:
        return TokenResponse.of(await refresh_tokens(refresh=data.refresh))

    @post(
        "/logout",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="LogOut",
        summary="Revoke a refresh token family",
        security=[{"BearerAuth": []}],
    )
    async def logout(
        self, data: JSONBody[RefreshRequest], log_out: NamedDependency[LogOut], principal: NamedDependency[Principal]
    ) -> None:
        await log_out(user_id=principal.user_id, refresh=data.refresh)
