"""``/api/users``: your profile, public profiles, and user administration."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get, patch, put
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from application.ports.identity import UserFilter
from application.results import PageRequest
from application.use_cases.identity import (
    AdministerUser,
    DeleteUser,
    GetUser,
    ListUsers,
    Principal,
    ReadOwnProfile,
    UpdateProfile,
)
from domain.errors import InvalidValue
from domain.identity import AdminChanges, ProfileChanges
from domain.shared import UserId
from entrypoints.http.deps import ResourceId, use_case
from entrypoints.http.schemas.common import NO_NUL, PageResponse, set_fields, value
from entrypoints.http.schemas.identity import (
    AdminUserPatch,
    AdminUserReplace,
    AdminUserResponse,
    ProfileResponse,
    ProfileUpdate,
    PublicUserResponse,
)

PROFILE_FIELDS = ("username", "phone", "country", "date_of_birth")


class MeController(Controller):
    path = "/api/users/me"
    tags = ["Identity"]
    security = [{"BearerAuth": []}]
    dependencies = {
        "read_own_profile": use_case(lambda c: c.identity.read_own_profile),
        "update_profile": use_case(lambda c: c.identity.update_profile),
    }

    @get(operation_id="GetMe", summary="Your profile with reading statistics")
    async def me(
        self, access_token: NamedDependency[str], read_own_profile: NamedDependency[ReadOwnProfile]
    ) -> ProfileResponse:
        return ProfileResponse.of(await read_own_profile(token=access_token))

    @patch(
        operation_id="UpdateMe",
        summary="Change your profile",
        description="Send only what changes. `email` cannot be changed here: use `POST /api/users/me/email`.",
    )
    async def update_me(
        self,
        data: JSONBody[ProfileUpdate],
        principal: NamedDependency[Principal],
        update_profile: NamedDependency[UpdateProfile],
    ) -> ProfileResponse:
        fields = set_fields(data)
        if "email" in fields:
            raise InvalidValue("email", "The email changes only through confirmation: POST /api/users/me/email.")
        changes = ProfileChanges(
            username=value(data.username),
            phone=value(data.phone),
            country=value(data.country),
            date_of_birth=value(data.date_of_birth),
            fields=fields,
        )
        return ProfileResponse.of(await update_profile(user_id=principal.user_id, changes=changes))


def _admin_changes(data: AdminUserPatch | AdminUserReplace) -> AdminChanges:
    if isinstance(data, AdminUserReplace):
        fields = frozenset(PROFILE_FIELDS)
    else:
        fields = set_fields(data) & frozenset(PROFILE_FIELDS)
    return AdminChanges(
        profile=ProfileChanges(
            username=value(data.username),
            phone=value(data.phone),
            country=value(data.country),
            date_of_birth=value(data.date_of_birth),
            fields=fields,
        ),
        email=value(data.email),
        is_admin=value(data.is_admin),
        is_premium=value(data.is_premium),
        is_active=value(data.is_active),
    )


class UsersController(Controller):
    path = "/api/users"
    tags = ["Identity"]
    dependencies = {
        "list_users": use_case(lambda c: c.identity.list_users),
        "get_user": use_case(lambda c: c.identity.get_user),
        "administer_user": use_case(lambda c: c.identity.administer_user),
        "delete_user": use_case(lambda c: c.identity.delete_user),
    }

    @get(
        operation_id="ListUsers",
        summary="Public profiles",
        description="Filters: `search` (in the username), `country`, `is_premium`; admins also see and filter `email`.",
    )
    async def list_users_(
        self,
        list_users: NamedDependency[ListUsers],
        viewer: NamedDependency[Principal | None],
        page: NamedDependency[PageRequest],
        search: Annotated[str | None, QueryParameter(max_length=150, pattern=NO_NUL)] = None,
        country: Annotated[str | None, QueryParameter(max_length=64, pattern=NO_NUL)] = None,
        is_premium: FromQuery[bool | None] = None,
        email: Annotated[str | None, QueryParameter(max_length=254, description="Admins only.", pattern=NO_NUL)] = None,
    ) -> PageResponse[PublicUserResponse]:
        filters = UserFilter(search=search, country=country, is_premium=is_premium, email=email)
        result = await list_users(viewer=viewer, filters=filters, page=page)
        for_admin = viewer is not None and viewer.is_admin
        return PageResponse.of(result, lambda user: PublicUserResponse.of(user, for_admin=for_admin))

    @get("/{user_id:int}", operation_id="GetUser", summary="One user (admin)", security=[{"BearerAuth": []}])
    async def get_user_(
        self, user_id: ResourceId, admin: NamedDependency[Principal], get_user: NamedDependency[GetUser]
    ) -> AdminUserResponse:
        return AdminUserResponse.of(await get_user(user_id=UserId(user_id)))

    @put("/{user_id:int}", operation_id="ReplaceUser", summary="Replace a user (admin)", security=[{"BearerAuth": []}])
    async def replace_user(
        self,
        user_id: ResourceId,
        data: JSONBody[AdminUserReplace],
        admin: NamedDependency[Principal],
        administer_user: NamedDependency[AdministerUser],
    ) -> AdminUserResponse:
        profile = await administer_user(
            actor=admin, user_id=UserId(user_id), changes=_admin_changes(data), password=data.password
        )
        return AdminUserResponse.of(profile)

    @patch(
        "/{user_id:int}",
        operation_id="UpdateUser",
        summary="Change a user (admin)",
        description="Roles (`is_admin`, `is_premium`), `is_active` (a deactivated user cannot log in and "
        "their tokens stop working at once), profile fields, email, password.",
        security=[{"BearerAuth": []}],
    )
    async def update_user(
        self,
        user_id: ResourceId,
        data: JSONBody[AdminUserPatch],
        admin: NamedDependency[Principal],
        administer_user: NamedDependency[AdministerUser],
    ) -> AdminUserResponse:
        password = None if data.password is msgspec.UNSET else data.password
        profile = await administer_user(
            actor=admin, user_id=UserId(user_id), changes=_admin_changes(data), password=password
        )
        return AdminUserResponse.of(profile)

    @delete(
        "/{user_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="DeleteUser",
        summary="Delete a user (admin)",
        description="A user with borrowings or payments on record cannot be deleted (409): deactivate instead.",
        security=[{"BearerAuth": []}],
    )
    async def delete_user_(
        self, user_id: ResourceId, admin: NamedDependency[Principal], delete_user: NamedDependency[DeleteUser]
    ) -> None:
        await delete_user(actor=admin, user_id=UserId(user_id))
