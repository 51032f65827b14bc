"""Organizations: creation, listing, detail with members, and membership changes by members."""

from __future__ import annotations

from tests.integration.community_support import make_organization
from tests.integration.support import Api, assert_problem


async def test_the_creator_and_the_listed_users_become_members(api: Api) -> None:
    ada, bob, cy = await api.user("ada"), await api.user("bob"), await api.user("cyd")
    body = await make_organization(
        api,
        ada,
        "Night readers",
        description="We read at night",
        address="1 Main St",
        postcode="12345",
        member_ids=[bob.id, cy.id, bob.id],
    )
    assert body["title"] == "Night readers"
    assert body["description"] == "We read at night"
    assert body["location"] == "12345, 1 Main St"
    assert body["created_by"] == ada.id
    assert [m["id"] for m in body["members"]] == sorted([ada.id, bob.id, cy.id])
    assert body["members"][0] == {"id": ada.id, "username": "ada", "email": "ada@example.org"}


async def test_an_unknown_member_id_is_refused_and_nothing_is_created(api: Api) -> None:
    ada = await api.user()
    response = await api.client.post(
        "/api/organizations", json={"title": "Ghosts", "member_ids": [ada.id, 999_999]}, headers=ada.headers
    )
    body = assert_problem(response, 422, field="member_ids")
    assert "999999" in body["detail"]
    listing = await api.client.get("/api/organizations", headers=ada.headers)
    assert listing.json()["total"] == 0


async def test_invalid_organizations_are_refused(api: Api) -> None:
    ada = await api.user()
    post = api.client.post
    assert_problem(await post("/api/organizations", json={"title": "   "}, headers=ada.headers), 422, field="title")
    assert_problem(await post("/api/organizations", json={}, headers=ada.headers), 400)
    assert_problem(await post("/api/organizations", json={"title": "x" * 256}, headers=ada.headers), 400)
    assert_problem(
        await post("/api/organizations", json={"title": "x", "postcode": "1" * 21}, headers=ada.headers), 400
    )
    assert_problem(await post("/api/organizations", json={"title": "x", "member_ids": [0]}, headers=ada.headers), 400)
    assert_problem(
        await post("/api/organizations", json={"title": "x", "member_ids": [2**40]}, headers=ada.headers), 400
    )
    assert_problem(await post("/api/organizations", json={"title": "x", "owner": 1}, headers=ada.headers), 400)
    assert_problem(await post("/api/organizations", json={"title": "Anonymous"}), 401)


async def test_the_location_leaves_out_an_empty_part(api: Api) -> None:
    ada = await api.user()
    assert (await make_organization(api, ada, "A", address="Somewhere"))["location"] == "Somewhere"
    assert (await make_organization(api, ada, "B", postcode="999"))["location"] == "999"
    assert (await make_organization(api, ada, "C"))["location"] == ""


async def test_any_user_lists_organizations_by_title_and_searches_them(api: Api) -> None:
    ada, bob = await api.user(), await api.user()
    for title in ("Zeta club", "alpha readers", "Beta Readers", "Poets"):
        await make_organization(api, ada, title)

    listing = (await api.client.get("/api/organizations", headers=bob.headers)).json()
    assert [item["title"] for item in listing["items"]] == ["Beta Readers", "Poets", "Zeta club", "alpha readers"]
    assert (listing["total"], listing["limit"], listing["offset"]) == (4, 20, 0)
    assert "members" not in listing["items"][0]

    found = (await api.client.get("/api/organizations", params={"search": "READERS"}, headers=bob.headers)).json()
    assert sorted(item["title"] for item in found["items"]) == ["Beta Readers", "alpha readers"]
    percent = (await api.client.get("/api/organizations", params={"search": "%"}, headers=bob.headers)).json()
    assert percent["total"] == 0, "LIKE wildcards in the search are taken literally"

    second = (await api.client.get("/api/organizations", params={"limit": 2, "offset": 2}, headers=bob.headers)).json()
    assert [item["title"] for item in second["items"]] == ["Zeta club", "alpha readers"]
    assert (second["total"], second["limit"], second["offset"]) == (4, 2, 2)
    assert_problem(await api.client.get("/api/organizations", params={"limit": 101}, headers=bob.headers), 400)
    assert_problem(await api.client.get("/api/organizations"), 401)


async def test_anyone_signed_in_reads_one_organization_with_its_active_members(api: Api) -> None:
    ada, bob, cy = await api.user(), await api.user(), await api.user()
    admin = await api.user(admin=True)
    org = await make_organization(api, ada, member_ids=[bob.id, cy.id])
    await api.client.patch(f"/api/users/{cy.id}", json={"is_active": False}, headers=admin.headers)

    detail = await api.client.get(f"/api/organizations/{org['id']}", headers=bob.headers)
    assert detail.status_code == 200
    assert [m["id"] for m in detail.json()["members"]] == [ada.id, bob.id], "deactivated users are not shown"

    assert_problem(await api.client.get("/api/organizations/424242", headers=bob.headers), 404)
    assert_problem(await api.client.get("/api/organizations/99999999999", headers=bob.headers), 400)


async def test_a_member_adds_and_removes_members(api: Api) -> None:
    ada, bob, cy = await api.user(), await api.user(), await api.user()
    org = await make_organization(api, ada)
    members_url = f"/api/organizations/{org['id']}/members"

    added = await api.client.post(f"{members_url}/{bob.id}", headers=ada.headers)
    assert added.status_code == 200, added.text
    assert [m["id"] for m in added.json()["members"]] == [ada.id, bob.id]

    # bob is a member now, so he may add someone too
    assert (await api.client.post(f"{members_url}/{cy.id}", headers=bob.headers)).status_code == 200
    assert_problem(await api.client.post(f"{members_url}/{cy.id}", headers=ada.headers), 409)

    removed = await api.client.delete(f"{members_url}/{cy.id}", headers=bob.headers)
    assert removed.status_code == 204
    detail = (await api.client.get(f"/api/organizations/{org['id']}", headers=ada.headers)).json()
    assert [m["id"] for m in detail["members"]] == [ada.id, bob.id]


async def test_non_members_may_not_change_the_membership(api: Api) -> None:
    ada, bob, eve = await api.user(), await api.user(), await api.user()
    org = await make_organization(api, ada, member_ids=[bob.id])
    members_url = f"/api/organizations/{org['id']}/members"

    assert_problem(await api.client.post(f"{members_url}/{eve.id}", headers=eve.headers), 403)
    assert_problem(await api.client.delete(f"{members_url}/{bob.id}", headers=eve.headers), 403)
    detail = (await api.client.get(f"/api/organizations/{org['id']}", headers=eve.headers)).json()
    assert [m["id"] for m in detail["members"]] == [ada.id, bob.id]

    admin = await api.user(admin=True)
    assert (await api.client.post(f"{members_url}/{eve.id}", headers=admin.headers)).status_code == 200


async def test_unknown_organizations_users_and_memberships_are_404(api: Api) -> None:
    ada, bob = await api.user(), await api.user()
    org = await make_organization(api, ada)
    members_url = f"/api/organizations/{org['id']}/members"
    assert_problem(await api.client.post(f"{members_url}/777777", headers=ada.headers), 404)
    assert_problem(await api.client.delete(f"{members_url}/{bob.id}", headers=ada.headers), 404)
    assert_problem(await api.client.post(f"/api/organizations/777777/members/{bob.id}", headers=ada.headers), 404)
    assert_problem(await api.client.delete(f"/api/organizations/777777/members/{bob.id}", headers=ada.headers), 404)
    assert_problem(await api.client.post(f"{members_url}/{bob.id}"), 401)


async def test_members_may_leave_but_the_last_one_stays(api: Api) -> None:
    ada, bob = await api.user(), await api.user()
    org = await make_organization(api, ada, member_ids=[bob.id])
    members_url = f"/api/organizations/{org['id']}/members"

    assert (await api.client.delete(f"{members_url}/{ada.id}", headers=ada.headers)).status_code == 204
    assert_problem(await api.client.post(f"{members_url}/{ada.id}", headers=ada.headers), 403)
    body = assert_problem(await api.client.delete(f"{members_url}/{bob.id}", headers=bob.headers), 409)
    assert "last member" in body["detail"]
    detail = (await api.client.get(f"/api/organizations/{org['id']}", headers=bob.headers)).json()
    assert [m["id"] for m in detail["members"]] == [bob.id]
