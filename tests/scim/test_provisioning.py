"""Provisioning as the directory does it: users created, found by filter, changed, deactivated (their
access ends at once) and deleted (a federated Delete)."""
from __future__ import annotations

import httpx2

from tests.rig.fake_remote import follow, post_signed
from tests.rig.nodes import eventually

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def _verify(scim_node, token: str) -> int:  # noqa: ANN001
    return httpx2.get(scim_node.node.base + "/api/v1/accounts/verify_credentials",
                      headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code


def test_a_user_created_through_scim_gets_an_account_named_from_the_directory(scim_node):
    # Given the directory creates a user whose userName is an e-mail address
    created = scim_node.user("Jane.Doe@acme.example", displayName="Jane Doe", externalId="hr-1001",
                             emails=[{"value": "jane@acme.example", "type": "work", "primary": True}])
    # Then the SCIM user keeps the directory's values
    assert created["userName"] == "jane.doe@acme.example"
    assert created["externalId"] == "hr-1001" and created["displayName"] == "Jane Doe"
    assert created["meta"]["location"].endswith(f"/scim/v2/Users/{created['id']}")
    # And the account has a handle made from it, visible through the client API
    account = httpx2.get(scim_node.node.base + "/api/v1/accounts/lookup", params={"acct": "Jane_Doe"}).json()
    assert account["id"] == created["id"] and account["display_name"] == "Jane Doe"
    # And the same userName again is refused as taken
    again = scim_node.post("/Users", {"schemas": [USER], "userName": "JANE.DOE@acme.example"})
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"


def test_filter_finds_a_user_by_username_and_bad_filters_are_clear_errors(scim_node):
    # Given three users
    for name in ("filter_ann", "filter_bob", "filter_cy"):
        scim_node.user(name)
    # When the directory looks one up by userName, in any case
    found = scim_node.http.get("/Users", params={"filter": 'userName eq "FILTER_bob"'}).json()
    # Then exactly that one comes back
    assert found["totalResults"] == 1 and [u["userName"] for u in found["Resources"]] == ["filter_bob"]
    # And other operators and pages work
    page = scim_node.http.get("/Users", params={"filter": 'userName sw "filter_"', "count": 2}).json()
    assert page["totalResults"] == 3 and page["itemsPerPage"] == 2
    assert scim_node.http.get("/Users", params={"filter": 'userName eq "nobody"'}).json()["totalResults"] == 0
    # And a filter that cannot be read is a 400 invalidFilter, never a 500
    for bad in ('userName eq', 'userName xx "a"', '(userName eq "a"', 'nickName eq "a"', 'userName eq bob',
                'active eq "yes"', "x" * 3000):
        response = scim_node.http.get("/Users", params={"filter": bad})
        assert response.status_code == 400, bad
        assert response.json()["scimType"] == "invalidFilter", bad


def test_deactivating_a_user_revokes_their_access_at_once_and_reactivating_lets_them_sign_in(scim_node):
    # Given a person created by an admin with a password, who holds a token, seen by the directory
    node = scim_node.node
    password = node.create_user("dora")
    token = node.token("dora")
    assert _verify(scim_node, token) == 200
    [dora] = scim_node.http.get("/Users", params={"filter": 'userName eq "dora"'}).json()["Resources"]
    # When the directory deactivates her
    response = scim_node.patch(f"/Users/{dora['id']}", {"op": "replace", "path": "active", "value": False})
    assert response.status_code == 200 and response.json()["active"] is False
    # Then her token is refused on the very next request
    assert _verify(scim_node, token) == 401
    # And she cannot sign in with her password
    app = httpx2.post(node.base + "/api/v1/apps", data={
        "client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read"}).json()
    grant = {"grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
             "username": "dora", "password": password, "scope": "read"}
    assert httpx2.post(node.base + "/oauth/token", data=grant).status_code == 400
    # When the directory activates her again (as Entra ID sends it: no path, a string value)
    response = scim_node.patch(f"/Users/{dora['id']}", {"op": "Replace", "value": {"active": "True"}})
    assert response.json()["active"] is True
    # Then she can sign in again, and the old token stays revoked
    assert httpx2.post(node.base + "/oauth/token", data=grant).status_code == 200
    assert _verify(scim_node, token) == 401


def test_replace_and_patch_change_the_profile(scim_node):
    # Given a provisioned user
    user = scim_node.user("erin", emails=[{"value": "erin@acme.example", "primary": True}])
    # When the directory replaces the user, then patches the work e-mail as Entra ID does
    replaced = scim_node.http.put(f"/Users/{user['id']}", json={
        "schemas": [USER], "userName": "erin.smith", "displayName": "Erin Smith", "active": True,
        "emails": [{"value": "erin.smith@acme.example", "type": "work", "primary": True}]}).json()
    patched = scim_node.patch(f"/Users/{user['id']}", {"op": "replace", "path": 'emails[type eq "work"].value',
                                                       "value": "es@acme.example"}).json()
    # Then each answer and a fresh read show the change; the handle (a federated id) stays
    assert replaced["userName"] == "erin.smith" and replaced["displayName"] == "Erin Smith"
    assert patched["emails"] == [{"value": "es@acme.example", "type": "work", "primary": True}]
    assert scim_node.http.get(f"/Users/{user['id']}").json()["emails"][0]["value"] == "es@acme.example"
    account = httpx2.get(scim_node.node.base + f"/api/v1/accounts/{user['id']}").json()
    assert account["username"] == "erin" and account["display_name"] == "Erin Smith"
    # And bad input is a SCIM 400, never a 500 or a change
    for operation in ({"op": "replace", "path": "nickName", "value": "x"}, {"op": "jump", "path": "active"},
                      {"op": "replace", "path": "active", "value": "maybe"}, {"op": "remove", "path": "userName"},
                      {"op": "replace", "path": "emails", "value": [{"value": "not an address"}]}):
        response = scim_node.patch(f"/Users/{user['id']}", operation)
        assert response.status_code == 400, operation
    assert scim_node.http.put(f"/Users/{user['id']}", content=b"{oops",
                              headers={"Content-Type": "application/scim+json"}).status_code == 400
    assert scim_node.http.get(f"/Users/{user['id']}").json()["userName"] == "erin.smith"


def test_deleting_a_user_sends_the_federated_delete_and_the_user_is_gone(scim_node):
    # Given a provisioned user followed by someone on another server
    user = scim_node.user("frank")
    reader = scim_node.remote.add_actor("reader")
    status, _ = post_signed(scim_node.node.base, "acme.test", "/inbox",
                            follow(reader, "http://acme.test/users/frank"), reader)
    assert status in (200, 202)
    eventually(lambda: any(r.body.get("type") == "Accept" for r in scim_node.remote.received), message="Accept")
    # When the directory deletes the user
    assert scim_node.http.delete(f"/Users/{user['id']}").status_code == 204
    # Then the follower's server receives the account's Delete
    eventually(lambda: any(r.body.get("type") == "Delete" and r.body.get("actor") == "http://acme.test/users/frank"
                           for r in scim_node.remote.received), message="the Delete")
    # And SCIM no longer knows the user, and the actor is gone
    assert scim_node.http.get(f"/Users/{user['id']}").status_code == 404
    assert scim_node.http.delete(f"/Users/{user['id']}").status_code == 404
    assert httpx2.get(scim_node.node.base + "/users/frank",
                      headers={"Accept": "application/activity+json"}).status_code in (404, 410)


def test_only_a_valid_scim_token_is_let_in(scim_node):
    base = scim_node.base
    # Given no token, a wrong one, an OAuth token of a person, and a revoked SCIM token
    scim_node.node.create_user("gina")
    person_token = scim_node.node.token("gina")
    spare = scim_node.node.cli("scim", "token", "create", "--label", "spare").strip()
    spare_id = [line.split()[0] for line in scim_node.node.cli("scim", "token", "list").splitlines()
                if line.endswith("spare")][0]
    scim_node.node.cli("scim", "token", "revoke", spare_id)
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Bearer {person_token}"},
                    {"Authorization": f"Bearer {spare}"}, {"Authorization": f"Basic {scim_node.token}"}):
        # When each asks for the users
        response = httpx2.get(base + "/Users", headers=headers)
        # Then it is refused with a SCIM 401
        assert response.status_code == 401, headers
        assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    # And the CLI lists tokens without showing them
    listing = scim_node.node.cli("scim", "token", "list")
    assert "HR directory" in listing and scim_node.token not in listing and spare not in listing


def _role(scim_node, token: str) -> str:  # noqa: ANN001
    return httpx2.get(scim_node.node.base + "/api/v1/accounts/verify_credentials", timeout=30,
                      headers={"Authorization": f"Bearer {token}"}).json()["role"]["name"]


def test_groups_the_directory_keeps_give_their_members_the_configured_roles(scim_node):
    # Given two provisioned people, each with a token, and an admin made with the CLI
    ann, ben = scim_node.user("role_ann"), scim_node.user("role_ben")
    ann_token, ben_token = scim_node.node.token("role_ann"), scim_node.node.token("role_ben")
    scim_node.node.create_user("role_root", "--admin")
    root_token = scim_node.node.token("role_root")
    assert _role(scim_node, ann_token) == ""
    # When the directory creates an ordinary group and the Administrators group (the default of
    # scim_admin_group), then adds Ben to Administrators with a PATCH, as Entra ID does
    staff = scim_node.post("/Groups", {"schemas": [GROUP], "displayName": "Staff", "externalId": "g-1",
                                       "members": [{"value": ann["id"]}, {"value": ben["id"]}]})
    admins = scim_node.post("/Groups", {"schemas": [GROUP], "displayName": "Administrators",
                                        "members": [{"value": ann["id"]}]})
    assert staff.status_code == admins.status_code == 201, admins.text
    staff, admins = staff.json(), admins.json()
    added = scim_node.patch(f"/Groups/{admins['id']}", {"op": "add", "path": "members",
                                                         "value": [{"value": ben["id"]}]})
    # Then both are admins; the CLI-made admin is untouched; the Staff group gives nothing
    assert sorted(m["value"] for m in added.json()["members"]) == sorted([ann["id"], ben["id"]])
    assert added.json()["meta"]["version"] != admins["meta"]["version"]
    assert [_role(scim_node, t) for t in (ann_token, ben_token, root_token)] == ["Owner"] * 3
    # And the directory finds groups by name and by member, and lists them without members
    found = scim_node.http.get("/Groups", params={"filter": 'displayName eq "administrators"'}).json()
    assert [g["id"] for g in found["Resources"]] == [admins["id"]]
    of_ann = scim_node.http.get("/Groups", params={"filter": f'members.value eq "{ann["id"]}"'}).json()
    assert sorted(g["displayName"] for g in of_ann["Resources"]) == ["Administrators", "Staff"]
    bare = scim_node.http.get("/Groups", params={"excludedAttributes": "members", "count": 1}).json()
    assert bare["totalResults"] >= 2 and bare["itemsPerPage"] == 1 and "members" not in bare["Resources"][0]
    # When Ann leaves Administrators (Entra ID's remove with a value) and Ben joins Moderators
    scim_node.patch(f"/Groups/{admins['id']}", {"op": "remove", "path": "members", "value": [{"value": ann["id"]}]})
    moderators = scim_node.post("/Groups", {"schemas": [GROUP], "displayName": "Moderators",
                                            "members": [{"value": ann["id"]}, {"value": ben["id"]}]}).json()
    # Then Ann is a moderator only, and Ben still an admin
    assert [_role(scim_node, t) for t in (ann_token, ben_token)] == ["Moderator", "Owner"]
    # When Administrators is renamed, and then Moderators deleted
    renamed = scim_node.http.put(f"/Groups/{admins['id']}", json={
        "schemas": [GROUP], "displayName": "Former admins", "members": [{"value": ben["id"]}]})
    assert renamed.status_code == 200 and renamed.json()["displayName"] == "Former admins"
    assert _role(scim_node, ben_token) == "Moderator"
    assert scim_node.http.delete(f"/Groups/{moderators['id']}").status_code == 204
    # Then nobody holds a role from the directory any more; the CLI-made admin still does
    assert [_role(scim_node, t) for t in (ann_token, ben_token, root_token)] == ["", "", "Owner"]
    assert scim_node.http.get(f"/Groups/{moderators['id']}").status_code == 404
    # And a second group of a name, an unknown member, a missing name or a bad path are SCIM 4xx
    again = scim_node.post("/Groups", {"schemas": [GROUP], "displayName": "STAFF"})
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"
    assert scim_node.post("/Groups", {"schemas": [GROUP], "displayName": "x",
                                      "members": [{"value": "12345"}]}).status_code == 400
    assert scim_node.post("/Groups", {"schemas": [GROUP]}).status_code == 400
    for operation in ({"op": "remove", "path": "displayName"}, {"op": "add", "path": 'members[value eq "1"]'},
                      {"op": "add", "path": "members", "value": [{"value": "abc"}]}):
        assert scim_node.patch(f"/Groups/{staff['id']}", operation).status_code == 400, operation
    assert scim_node.http.get("/Groups/nope").status_code == 404
    # And a member removed by a value path leaves the group, which a fresh read shows
    scim_node.patch(f"/Groups/{staff['id']}", {"op": "remove", "path": f'members[value eq "{ben["id"]}"]'})
    assert [m["value"] for m in scim_node.http.get(f"/Groups/{staff['id']}").json()["members"]] == [ann["id"]]


def test_the_same_user_created_many_times_at_once_is_made_once(scim_node):
    from concurrent.futures import ThreadPoolExecutor

    # Given the directory retries a creation, eight times at the same moment
    body = {"schemas": [USER], "userName": "twin@acme.example", "emails": [{"value": "twin@acme.example"}]}

    def create(_: int) -> int:
        with httpx2.Client(base_url=scim_node.base, timeout=60,
                           headers={"Authorization": f"Bearer {scim_node.token}"}) as http:
            return http.post("/Users", json=body).status_code
    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(create, range(8)))
    # Then one is created and the others are told it exists: no 500, no second user
    assert statuses == [201] + [409] * 7
    found = scim_node.http.get("/Users", params={"filter": 'userName eq "twin@acme.example"'}).json()
    assert found["totalResults"] == 1
