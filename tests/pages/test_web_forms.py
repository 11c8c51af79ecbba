"""The signed-in web's forms over HTTP, in-process, on SQLite and PostgreSQL: a session is a token that
signing out (or revoking it in settings) ends at once; every form needs the session's CSRF token;
lists, the password, and the admin's report, account and invite pages do what they say."""
from __future__ import annotations

import re

import aiohttp

from social import moderation
from tests.api.conftest import PASSWORD


def csrf_of(html: str) -> str:
    return re.search(r"name=csrf value='([^']+)'", html).group(1)


async def signed_in(node, login: str, password: str = PASSWORD):  # noqa: ANN001, ANN201
    """A client signed in on the web (the node's test client keeps the cookie); the CSRF token."""
    response = await node.client.post("/auth/sign_in", data={"login": login, "password": password},
                                      allow_redirects=False)
    assert response.status == 303, await response.text()
    home = await node.client.get("/home")
    return csrf_of(await home.text())


async def test_a_session_needs_its_csrf_token_and_signing_out_ends_it(node):
    await node.person("alice")
    # A wrong password signs nobody in
    wrong = await node.client.post("/auth/sign_in", data={"login": "alice", "password": "nope"})
    assert wrong.status == 401 and "Wrong e-mail, username or password." in await wrong.text()
    csrf = await signed_in(node, "alice")
    cookie = node.client.session.cookie_jar.filter_cookies(node.client.make_url("/"))["backchannel_session"].value
    # A post without the token is refused; with it, it is made
    refused = await node.client.post("/statuses", data={"status": "forged"}, allow_redirects=False)
    assert refused.status == 403
    made = await node.client.post("/statuses", data={"status": "from the web", "csrf": csrf,
                                                     "visibility": "local"}, allow_redirects=False)
    assert made.status == 303
    assert "from the web" in await (await node.client.get("/local")).text()
    # When she signs out, the old cookie no longer signs anyone in
    await node.client.post("/auth/sign_out", data={"csrf": csrf}, allow_redirects=False)
    node.client.session.cookie_jar.update_cookies({"backchannel_session": cookie})
    again = await node.client.get("/home", allow_redirects=False)
    assert again.status == 303 and again.headers["Location"].startswith("/auth/sign_in?next=")


async def test_lists_take_only_people_one_follows(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    await node.person("carol")
    await alice.post(f"/api/v1/accounts/{bob.id}/follow")
    csrf = await signed_in(node, "alice")
    made = await node.client.post("/lists", data={"title": "Colleagues", "csrf": csrf}, allow_redirects=False)
    list_path = made.headers["Location"]
    await node.client.post(list_path, data={"action": "add", "acct": "bob", "csrf": csrf})
    refused = await node.client.post(list_path, data={"action": "add", "acct": "carol", "csrf": csrf})
    assert refused.status == 422
    page = await (await node.client.get(list_path)).text()
    assert "<h1>Colleagues</h1>" in page and "@bob@acme.test" in page and "@carol@" not in page


async def test_changing_the_password_and_revoking_a_session(node):
    await node.person("alice")
    csrf = await signed_in(node, "alice")
    wrong = await node.client.post("/settings/password", data={
        "current_password": "nope", "new_password": "a new long secret", "confirm_password": "a new long secret",
        "csrf": csrf})
    assert wrong.status == 422
    changed = await node.client.post("/settings/password", data={
        "current_password": PASSWORD, "new_password": "a new long secret", "confirm_password": "a new long secret",
        "csrf": csrf})
    assert changed.status == 200 and "Your password is changed." in await changed.text()
    # The apps page lists this session's tokens; revoking them all signs this browser out
    page = await (await node.client.get("/settings/applications")).text()
    token_ids = re.findall(r"name=token_id value='(\d+)'", page)
    assert len(token_ids) >= 2
    for token_id in token_ids:
        await node.client.post("/settings/applications", data={"token_id": token_id, "csrf": csrf},
                               allow_redirects=False)
    assert (await node.client.get("/home", allow_redirects=False)).status == 303
    assert await signed_in(node, "alice", "a new long secret")


async def test_an_admin_reviews_a_report_with_its_followers_only_post_and_acts(node):
    alice = await node.person("alice")
    troll = await node.person("troll")
    await node.person("boss", admin=True)
    await alice.post(f"/api/v1/accounts/{troll.id}/follow")
    post = await troll.post_status("nasty words for followers", visibility="private")
    report = await moderation.create_report(node.rt, alice.account, troll.account.id, [int(post["id"])],
                                            comment="abusive")
    # Signed in on the web, an admin's menu leads to the administration, which asks for the password again
    await signed_in(node, "boss")
    assert '<a href="/admin">Administration</a>' in await (await node.client.get("/home")).text()
    assert (await node.client.get("/admin", allow_redirects=False)).headers["Location"] == "/admin/sign_in"
    login = await node.client.post("/admin/sign_in", data={"login": "boss", "password": PASSWORD},
                                   allow_redirects=False)
    assert login.headers["Location"] == "/admin/dashboard"
    page = await (await node.client.get(f"/admin/reports/{report.id}")).text()
    assert "nasty words for followers" in page and "abusive" in page
    csrf = csrf_of(page)
    reset = await node.client.post(f"/admin/accounts/{troll.account.id}/reset_password", data={"csrf": csrf})
    new_password = re.search(r"is (\S+) \(shown only now\)", await reset.text()).group(1)
    assert (await node.client.post("/auth/sign_in", data={"login": "troll", "password": new_password},
                                   allow_redirects=False)).status == 303
    assert "Administration</a>" not in await (await node.client.get("/home")).text()  # not for other people
    made = await node.client.post("/admin/invites", data={"action": "create", "max_uses": "2", "csrf": csrf})
    invites = await made.text()
    code = re.search(r'href="/invite/([^"]+)"', invites).group(1)
    assert (await node.client.get(f"/invite/{code}")).status == 200
    await node.client.post("/admin/invites", data={"action": "revoke", "code": code, "csrf": csrf})
    assert (await node.client.get(f"/invite/{code}")).status == 404


async def test_follows_blocks_mutes_and_lists_go_out_and_come_back_in_mastodons_csv(node):
    # Given Alice follows Bob without his boosts but with a bell (and keeps him in a list), blocks
    # Carol and mutes Dave's posts but not his notifications
    alice = await node.person("alice")
    bob, carol, dave = [await node.person(name) for name in ("bob", "carol", "dave")]
    await alice.post(f"/api/v1/accounts/{bob.id}/follow", json={"reblogs": False, "notify": True})
    await alice.post(f"/api/v1/accounts/{carol.id}/block")
    await alice.post(f"/api/v1/accounts/{dave.id}/mute", json={"notifications": False})
    made = await alice.post("/api/v1/lists", json={"title": "Team, core"})
    await alice.post(f"/api/v1/lists/{(await made.json())['id']}/accounts", json={"account_ids": [bob.id]})
    await signed_in(node, "alice")
    # When she exports each
    files = {}
    for kind in ("following", "blocks", "mutes", "lists"):
        response = await node.client.get(f"/settings/export/{kind}.csv")
        assert response.content_type == "text/csv"
        files[kind] = await response.text()
    # Then they are Mastodon's files
    assert files["following"] == "Account address,Show boosts,Notify on new posts,Languages\nbob@acme.test,false,true,\n"
    assert files["blocks"] == "carol@acme.test\n"
    assert files["mutes"] == "Account address,Hide notifications\ndave@acme.test,false\n"
    assert files["lists"] == '"Team, core",bob@acme.test\n'
    # When Erin imports them (plus a line nobody answers to)
    erin = await node.person("erin")
    node.client.session.cookie_jar.clear()
    csrf = await signed_in(node, "erin")
    for kind in ("following", "blocks", "mutes", "lists"):
        text = files[kind] + ("nobody@acme.test\n" if kind == "blocks" else "")
        form = aiohttp.FormData({"kind": kind, "csrf": csrf})
        form.add_field("file", text.encode(), filename=f"{kind}.csv", content_type="text/csv")
        page = await (await node.client.post("/settings/import", data=form)).text()
        assert "Imported 1 line." in page, page
        assert ("nobody@acme.test: not found" in page) == (kind == "blocks")
    # Then she has what Alice had
    relations = await (await erin.get(f"/api/v1/accounts/relationships?id[]={bob.id}&id[]={carol.id}&id[]={dave.id}")).json()
    assert [(r["following"], r["blocking"], r["muting"]) for r in relations] == [
        (True, False, False), (False, True, False), (False, False, True)]
    assert (relations[0]["showing_reblogs"], relations[0]["notifying"]) == (False, True)
    assert relations[2]["muting_notifications"] is False
    lists = await (await erin.get("/api/v1/lists")).json()
    assert [lst["title"] for lst in lists] == ["Team, core"]


async def test_the_profile_form_changes_the_profile_through_the_apis_write_path(node):
    # Given Alice on her profile settings (the federated Update: tests/pages/test_web.py)
    alice = await node.person("alice")
    csrf = await signed_in(node, "alice")
    assert 'name="display_name"' in await (await node.client.get("/settings/profile")).text()
    # When she saves a new name, bio, two fields, an avatar and every flag but bot
    from pages.routes import DEFAULT_IMAGE

    form = aiohttp.FormData({"csrf": csrf, "display_name": "Alice L.", "note": "Reads #books, writes code",
                             "field_name_0": "Site", "field_value_0": "https://alice.example",
                             "field_name_2": "Pronouns", "field_value_2": "she/her",
                             "locked": "1", "discoverable": "1", "indexable": "1",
                             "privacy": "private", "sensitive": "1", "language": "fr"})
    form.add_field("avatar", DEFAULT_IMAGE, filename="me.png", content_type="image/png")
    saved = await node.client.post("/settings/profile", data=form)
    assert saved.status == 200 and "Your profile is saved." in await saved.text()
    # Then the client API sees exactly that, as update_credentials would have stored it
    me = await (await alice.get("/api/v1/accounts/verify_credentials")).json()
    assert (me["display_name"], me["source"]["note"], me["locked"], me["discoverable"], me["bot"]) == (
        "Alice L.", "Reads #books, writes code", True, True, False)
    assert me["indexable"] is True
    assert (me["source"]["privacy"], me["source"]["sensitive"], me["source"]["language"]) == ("private", True, "fr")
    # And her compose form starts from those defaults, and a post from it is in her language
    home = await (await node.client.get("/home")).text()
    assert '<option value="private" selected>' in home and 'name="sensitive" value="1" checked' in home
    made = await node.client.post("/statuses", data={"status": "Bonjour", "visibility": "private", "csrf": csrf},
                                  allow_redirects=False)
    assert made.status == 303
    latest = (await (await alice.get(f"/api/v1/accounts/{alice.id}/statuses")).json())[0]
    assert (latest["language"], latest["visibility"]) == ("fr", "private")
    assert [(f["name"], f["value"]) for f in me["source"]["fields"]] == [
        ("Site", "https://alice.example"), ("Pronouns", "she/her")]
    assert "/media/" in me["avatar"] and 'href="/tags/books"' in me["note"].replace("http://acme.test", "")
    # When she removes her avatar and sends a name that is too long
    removed = await node.client.post("/settings/profile", data={"csrf": csrf, "display_name": "Alice L.",
                                                                "remove_avatar": "1"})
    assert removed.status == 200
    assert "/media/" not in (await (await alice.get("/api/v1/accounts/verify_credentials")).json())["avatar"]
    refused = await node.client.post("/settings/profile", data={"csrf": csrf, "display_name": "A" * 31,
                                                                "note": "kept"})
    # Then nothing changes and the form keeps what she typed
    assert refused.status == 422 and "Display name is too long" in await refused.text()
    assert ">kept</textarea>" in await refused.text()
    assert (await (await alice.get("/api/v1/accounts/verify_credentials")).json())["display_name"] == "Alice L."

