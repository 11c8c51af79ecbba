"""Changing one's profile (update_credentials, avatar and header), the Update that federates, the
default visibility, and what a person keeps about others: notes, endorsements, removed followers."""
from __future__ import annotations

import io
import json
from urllib.parse import unquote

import aiohttp
from PIL import Image
from sqlalchemy import select

from models.schema import deliveries
from social import outgoing


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


async def fetch_image(node, url: str) -> Image.Image:  # noqa: ANN001
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = await node.client.get("/" + path)
    assert response.status == 200
    return Image.open(io.BytesIO(await response.read()))


async def test_update_credentials_with_json_changes_profile_and_source(node):
    alice = await node.person("alice")
    await node.person("bob")
    response = await alice.node.client.patch(
        "/api/v1/accounts/update_credentials", headers=alice.headers(),
        json={"display_name": "Alice A.", "note": "Hi @bob, see https://example.com/x #Learning",
              "locked": True, "bot": False, "discoverable": False,
              "fields_attributes": {"0": {"name": "Site", "value": "https://acme.test/me"},
                                    "1": {"name": "Team", "value": "Docs"}},
              "source": {"privacy": "private", "sensitive": True, "language": "de"}})
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["display_name"] == "Alice A."
    assert body["locked"] is True and body["discoverable"] is False
    assert 'class="u-url mention">@<span>bob</span>' in body["note"]
    assert "hashtag" in body["note"] and "https://example.com/x" in body["note"]
    assert [f["name"] for f in body["fields"]] == ["Site", "Team"]
    assert 'href="https://acme.test/me"' in body["fields"][0]["value"]
    assert body["source"]["privacy"] == "private"
    assert body["source"]["sensitive"] is True and body["source"]["language"] == "de"
    assert body["source"]["note"].startswith("Hi @bob")
    assert body["source"]["fields"][1] == {"name": "Team", "value": "Docs", "verified_at": None}
    again = await (await alice.get("/api/v1/accounts/verify_credentials")).json()
    assert again["display_name"] == "Alice A." and again["source"]["privacy"] == "private"


async def test_update_credentials_form_fields_and_limits(node):
    alice = await node.person("alice")
    form = {"display_name": "A", "fields_attributes[0][name]": "One", "fields_attributes[0][value]": "1",
            "source[privacy]": "unlisted"}
    response = await alice.node.client.patch("/api/v1/accounts/update_credentials", headers=alice.headers(),
                                             data=form)
    body = await response.json()
    assert response.status == 200, body
    assert body["fields"][0]["name"] == "One" and body["source"]["privacy"] == "unlisted"
    too_many = {f"fields_attributes[{i}][name]": str(i) for i in range(5)}
    response = await alice.node.client.patch("/api/v1/accounts/update_credentials", headers=alice.headers(),
                                             data=too_many)
    assert response.status == 422 and "error" in await response.json()
    response = await alice.node.client.patch("/api/v1/accounts/update_credentials", headers=alice.headers(),
                                             json={"display_name": "x" * 31})
    assert response.status == 422
    response = await alice.node.client.patch("/api/v1/accounts/update_credentials", headers=alice.headers(),
                                             json={"source": {"privacy": "direct"}})
    assert response.status == 422


async def test_update_credentials_needs_write_accounts(node):
    alice = await node.person("alice", scopes="read")
    response = await alice.node.client.patch("/api/v1/accounts/update_credentials", headers=alice.headers(),
                                             json={"display_name": "X"})
    assert response.status == 403 and "error" in await response.json()
    response = await node.client.patch("/api/v1/accounts/update_credentials", json={"display_name": "X"})
    assert response.status == 401


async def test_avatar_and_header_are_reencoded_cropped_and_removable(node):
    alice = await node.person("alice")
    data = aiohttp.FormData()
    data.add_field("display_name", "Pictured")
    data.add_field("avatar", jpeg(900, 600), filename="../../etc/passwd.jpg", content_type="image/jpeg")
    data.add_field("header", jpeg(3000, 2000), filename="h.jpg", content_type="image/jpeg")
    response = await alice.node.client.patch("/api/v1/accounts/update_credentials", headers=alice.headers(),
                                             data=data)
    body = await response.json()
    assert response.status == 200, body
    assert body["display_name"] == "Pictured"
    assert "passwd" not in body["avatar"] and body["avatar"] == body["avatar_static"]
    avatar = await fetch_image(node, body["avatar"])
    assert avatar.size == (400, 400) and not avatar.getexif()
    header = await fetch_image(node, body["header"])
    assert header.size == (1500, 500)

    bad = aiohttp.FormData()
    bad.add_field("avatar", b"not an image", filename="a.png", content_type="image/png")
    response = await alice.node.client.patch("/api/v1/accounts/update_credentials", headers=alice.headers(),
                                             data=bad)
    assert response.status == 422

    old_avatar = body["avatar"]
    response = await alice.delete("/api/v1/profile/avatar")
    body = await response.json()
    assert response.status == 200 and body["avatar"].endswith("/static/avatar.png")
    gone = await node.client.get("/" + old_avatar.split("://", 1)[1].split("/", 1)[1])
    assert gone.status == 404  # the replaced file is deleted
    assert "/media/" in body["header"]
    response = await alice.delete("/api/v1/profile/header")
    assert (await response.json())["header"].endswith("/static/header.png")


async def test_profile_change_queues_an_update_of_the_actor(node, monkeypatch):
    queued: list[dict] = []
    original = outgoing.queue

    async def recording(conn, rt, **kw):  # noqa: ANN001, ANN003, ANN202
        queued.append(kw)
        await original(conn, rt, **kw)
    monkeypatch.setattr(outgoing, "queue", recording)
    alice = await node.person("alice")
    response = await alice.node.client.patch("/api/v1/accounts/update_credentials", headers=alice.headers(),
                                             json={"display_name": "New Name"})
    assert response.status == 200
    [job] = queued
    update = job["activity"]
    assert update["type"] == "Update" and update["actor"] == alice.account.uri
    assert update["object"]["type"] == "Person" and update["object"]["name"] == "New Name"
    assert job["signer"].id == alice.account.id and job["followers_of"] == alice.account.id
    # Nothing that changes no profile value federates.
    await alice.node.client.patch("/api/v1/accounts/update_credentials", headers=alice.headers(),
                                  json={"source": {"privacy": "private"}})
    assert len(queued) == 1
    async with node.rt.db.read() as conn:  # no remote followers: nothing to deliver
        assert (await conn.execute(select(deliveries))).first() is None


async def test_source_privacy_is_the_default_visibility(node):
    alice = await node.person("alice")
    await alice.node.client.patch("/api/v1/accounts/update_credentials", headers=alice.headers(),
                                  json={"source": {"privacy": "private"}})
    assert (await alice.post_status("hello"))["visibility"] == "private"
    assert (await alice.post_status("loud", visibility="public"))["visibility"] == "public"
    await alice.node.client.patch("/api/v1/accounts/update_credentials", headers=alice.headers(),
                                  json={"source": {"sensitive": True, "language": "de"}})
    posted = await alice.post_status("guten Tag")
    assert posted["sensitive"] is True and posted["language"] == "de" and posted["visibility"] == "private"
    assert (await alice.post_status("plain", sensitive=False))["sensitive"] is False


async def test_note_and_endorsements_show_in_relationships(node):
    alice, bob = await node.person("alice"), await node.person("bob")
    response = await alice.post(f"/api/v1/accounts/{bob.id}/note", json={"comment": "met at the summit"})
    assert (await response.json())["note"] == "met at the summit"
    response = await alice.post(f"/api/v1/accounts/{bob.id}/pin")
    assert response.status == 422  # only followed accounts
    await alice.post(f"/api/v1/accounts/{bob.id}/follow")
    response = await alice.post(f"/api/v1/accounts/{bob.id}/pin")
    assert (await response.json())["endorsed"] is True
    rels = await (await alice.get("/api/v1/accounts/relationships", params={"id[]": bob.id})).json()
    assert rels[0]["endorsed"] is True and rels[0]["note"] == "met at the summit"
    endorsed = await (await alice.get("/api/v1/endorsements")).json()
    assert [a["id"] for a in endorsed] == [bob.id]
    public = await (await node.client.get(f"/api/v1/accounts/{alice.id}/endorsements")).json()
    assert [a["id"] for a in public] == [bob.id]
    response = await alice.post(f"/api/v1/accounts/{bob.id}/unpin")
    assert (await response.json())["endorsed"] is False
    assert await (await alice.get("/api/v1/endorsements")).json() == []
    response = await alice.post("/api/v1/accounts/999/note", json={"comment": "x"})
    assert response.status == 404


async def test_remove_from_followers_and_familiar_followers(node):
    alice, bob, carol = await node.person("alice"), await node.person("bob"), await node.person("carol")
    await bob.post(f"/api/v1/accounts/{alice.id}/follow")
    await carol.post(f"/api/v1/accounts/{alice.id}/follow")
    await carol.post(f"/api/v1/accounts/{bob.id}/follow")
    familiar = await (await carol.get("/api/v1/accounts/familiar_followers", params={"id[]": alice.id})).json()
    assert familiar == [{"id": alice.id, "accounts": [familiar[0]["accounts"][0]]}]
    assert familiar[0]["accounts"][0]["id"] == bob.id
    response = await alice.post(f"/api/v1/accounts/{bob.id}/remove_from_followers")
    rel = await response.json()
    assert response.status == 200 and rel["followed_by"] is False
    followers = await (await alice.get(f"/api/v1/accounts/{alice.id}/followers")).json()
    assert [a["id"] for a in followers] == [carol.id]
    familiar = await (await carol.get("/api/v1/accounts/familiar_followers", params={"id[]": alice.id})).json()
    assert familiar[0]["accounts"] == []


def test_profile_update_federates_to_a_followers_node(tmp_path):
    """Two real nodes: guru@globex.test follows alice; alice changes her profile with Mastodon.py;
    globex learns of it from the Update and shows the new name, bio and avatar."""
    from tests.rig.nodes import eventually as eventually_sync
    from tests.rig.nodes import start_cluster

    nodes = start_cluster(["acme.test", "globex.test"], tmp_path)
    try:
        acme, globex = nodes["acme.test"], nodes["globex.test"]
        acme.create_user("alice")
        globex.create_user("guru")
        alice = acme.mastodon(acme.token("alice"))
        guru = globex.mastodon(globex.token("guru"))
        alice_there = guru.search("alice@acme.test", resolve=True, result_type="accounts").accounts[0]
        guru.account_follow(alice_there.id)
        eventually_sync(lambda: guru.account_relationships(alice_there.id)[0].following,
                        message="guru follows alice")
        avatar = tmp_path / "me.jpg"
        avatar.write_bytes(jpeg(800, 600))
        mine = alice.account_update_credentials(display_name="Alice of Acme", note="Docs lead #docs",
                                                avatar=str(avatar))
        assert mine.display_name == "Alice of Acme" and "/media/" in mine.avatar
        seen = eventually_sync(lambda: (lambda a: a if a.display_name == "Alice of Acme" else None)(
            guru.account(alice_there.id)), message="globex sees alice's new name")
        assert "Docs lead" in seen.note
        # globex shows acme's new avatar from its own copy of it (social.media_cache)
        assert seen.avatar.startswith("http://globex.test/media/proxy/") and "acme.test" in unquote(seen.avatar)
    finally:
        for node in nodes.values():
            node.stop()


async def test_preferences_follow_source(node):
    alice = await node.person("alice")
    await alice.node.client.patch("/api/v1/accounts/update_credentials", headers=alice.headers(),
                                  data={"source[privacy]": "unlisted", "source[sensitive]": "true",
                                        "source[language]": "fr"})
    prefs = await (await alice.get("/api/v1/preferences")).json()
    assert prefs["posting:default:visibility"] == "unlisted"
    assert prefs["posting:default:sensitive"] is True and prefs["posting:default:language"] == "fr"
