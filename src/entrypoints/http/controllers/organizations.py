"""``/api/organizations``: organizations and their members."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from application.ports.community import OrganizationFilter
from application.results import PageRequest
from application.use_cases.community import (
    AddMember,
    CreateOrganization,
    GetOrganization,
    ListOrganizations,
    RemoveMember,
)
from application.use_cases.identity import Principal
from domain.community import TITLE_MAX, OrganizationId
from domain.shared import UserId
from entrypoints.http.deps import use_case
from entrypoints.http.schemas.common import NO_NUL, PageResponse
from entrypoints.http.schemas.community import (
    MAX_ID,
    OrganizationCreate,
    OrganizationDetailResponse,
    OrganizationResponse,
)

OrganizationPath = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="Organization id.")]
UserPath = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="User id.")]

MEMBERSHIP = (
    "Only members of the organization (and admins) may change its members; others get 403. "
    "An unknown organization or user is a 404."
)


class OrganizationsController(Controller):
    path = "/api/organizations"
    tags = ["Organizations"]
    security = [{"BearerAuth": []}]
    dependencies = {
        "create_organization": use_case(lambda c: c.community.create_organization),
        "list_organizations": use_case(lambda c: c.community.list_organizations),
        "get_organization": use_case(lambda c: c.community.get_organization),
        "add_member": use_case(lambda c: c.community.add_member),
        "remove_member": use_case(lambda c: c.community.remove_member),
    }

    @post(
        status_code=HTTP_201_CREATED,
        operation_id="CreateOrganization",
        summary="Create an organization",
        description=(
            "The caller becomes a member, with the users in `member_ids` (at most 100). "
            'An unknown id in `member_ids` → 422. `location` in answers is `"<postcode>, <address>"` '
            "(an empty part is left out)."
        ),
    )
    async def create(
        self,
        data: JSONBody[OrganizationCreate],
        principal: NamedDependency[Principal],
        create_organization: NamedDependency[CreateOrganization],
    ) -> OrganizationDetailResponse:
        detail = await create_organization(
            founder=principal.user_id,
            title=data.title,
            description=data.description,
            address=data.address,
            postcode=data.postcode,
            member_ids=[UserId(user_id) for user_id in data.member_ids],
        )
        return OrganizationDetailResponse.of_detail(detail)

    @get(
        operation_id="ListOrganizations",
        summary="Organizations",
        description="Ordered by title; `search` matches part of the title, ignoring case.",
    )
    async def list_(
        self,
        principal: NamedDependency[Principal],
        page: NamedDependency[PageRequest],
        list_organizations: NamedDependency[ListOrganizations],
        search: Annotated[
            str | None, QueryParameter(max_length=TITLE_MAX, description="Part of the title.", pattern=NO_NUL)
        ] = None,
    ) -> PageResponse[OrganizationResponse]:
        result = await list_organizations(filters=OrganizationFilter(search=search), page=page)
        return PageResponse.of(result, OrganizationResponse.of)

    @get(
        "/{organization_id:int}",
        operation_id="GetOrganization",
        summary="One organization with its members",
        description="`members` lists the organization's active users `{id, username, email}`, by id.",
    )
    async def detail(
        self,
        organization_id: OrganizationPath,
        principal: NamedDependency[Principal],
        get_organization: NamedDependency[GetOrganization],
    ) -> OrganizationDetailResponse:
        detail = await get_organization(organization_id=OrganizationId(organization_id))
        return OrganizationDetailResponse.of_detail(detail)

    @post(
        "/{organization_id:int}/members/{user_id:int}",
        status_code=HTTP_200_OK,
        operation_id="AddOrganizationMember",
        summary="Add a member",
        description=f"{MEMBERSHIP} Adding someone who is already a member → 409. Answers the organization.",
    )
    async def add(
        self,
        organization_id: OrganizationPath,
        user_id: UserPath,
        principal: NamedDependency[Principal],
        add_member: NamedDependency[AddMember],
    ) -> OrganizationDetailResponse:
        detail = await add_member(
            actor=principal, organization_id=OrganizationId(organization_id), user_id=UserId(user_id)
        )
        return OrganizationDetailResponse.of_detail(detail)

    @delete(
        "/{organization_id:int}/members/{user_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="RemoveOrganizationMember",
        summary="Remove a member (or leave)",
        description=(
            f"{MEMBERSHIP} A member may remove themselves (leave). A user who is not a member → 404. "
            "The last member cannot be removed (409): an organization always keeps one member, "
            "since only members can manage it."
        ),
    )
    async def remove(
        self,
        organization_id: OrganizationPath,
        user_id: UserPath,
        principal: NamedDependency[Principal],
        remove_member: NamedDependency[RemoveMember],
    ) -> None:
        await remove_member(actor=principal, organization_id=OrganizationId(organization_id), user_id=UserId(user_id))
