"""Only http(s) URLs from remote documents reach clients.

A hostile server writes script URLs into every URL a client shows: a Note's `url`, an actor's
`url`, `icon` and `image`, an attachment's `url`, in several spellings browsers accept. What alice's
client is given must be http(s) or nothing (a fallback), never the script.
"""
import time

import pytest

from tests.attacks.hostile import send, stored
from tests.rig.fake_remote import FakeRemote, create, note
from tests.rig.http import api
from tests.rig.nodes import Node, free_port

NODE = "acme.test"
ALICE = f"http://{NODE}/users/alice"

SCRIPTS = [
    "javascript:alert(document.domain)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "javascript://evil.test/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.test/x",
]


@pytest.fixture(scope="module")
def arena(tmp_path_factory):
    evil = FakeRemote("evil.test").start()
    node = Node(domain=NODE, port=free_port(), data=tmp_path_factory.mktemp("acme"),
                resolve={"evil.test": evil.port}).start()
    node.create_user("alice")
    yield node, evil, node.token("alice")
    node.stop()
    evil.stop()


def shown_urls(entity: dict) -> list[str]:
    """Every URL a client would put in a link or an image for a status."""
    account = entity["account"]
    urls = [entity["url"], account["url"], account["avatar"], account["avatar_static"], account["header"],
            account["header_static"]]
    for media in entity["media_attachments"]:
        urls += [media["url"], media["remote_url"], media["preview_url"]]
    return [u for u in urls if u is not None]


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("form", ["string", "link"])
def test_script_urls_from_a_remote_server_never_reach_a_client(arena, script, form):
    node, evil, token = arena
    wrap = (lambda u: u) if form == "string" else (lambda u: {"type": "Link", "href": u, "mediaType": "text/html"})
    # Given an actor whose url, avatar, header and profile link are `script`,
    mallory = evil.add_actor(f"m{time.time_ns()}")
    mallory.extra = {"url": wrap(script), "icon": {"type": "Image", "url": wrap(script)},
                     "image": {"type": "Image", "url": script},
                     "attachment": [{"type": "PropertyValue", "name": "site", "value": f'<a href="{script}">me</a>'}]}
    # when it mentions alice in a post whose url and attachment are `script`,
    post = note(mallory, "@alice click me", tag=[{"type": "Mention", "href": ALICE}], cc=[ALICE],
                url=wrap(script), attachment=[
                    {"type": "Document", "mediaType": "image/png", "url": wrap(script), "name": "pic"},
                    {"type": "Image", "mediaType": "image/png", "url": f"{evil.base}/ok.png"}])
    send(node, mallory, create(mallory, post))
    # Then alice's client is shown the post with only http(s) URLs: the post's and the actor's
    # pages fall back to their ids, the script attachment is gone, and the avatar is the default.
    status, found = api(node.base, token, "GET", "/api/v1/notifications?types[]=mention&limit=40")
    assert status == 200
    entity = next(n["status"] for n in found if n["status"]["uri"] == post["id"])
    assert all(u.startswith(("http://", "https://")) for u in shown_urls(entity)), shown_urls(entity)
    assert entity["url"] == post["id"]
    assert entity["account"]["url"] == mallory.uri
    assert [m["remote_url"] for m in entity["media_attachments"]] == [f"{evil.base}/ok.png"]
    assert [f["value"] for f in entity["account"]["fields"] if "href" in f["value"]] == []


@pytest.mark.parametrize("scheme", ["javascript", "JAVASCRIPT", "data", "ftp"])
def test_a_post_whose_id_is_not_http_is_not_kept(arena, scheme):
    """`javascript://evil.test/…` has evil.test in it, but no http origin: it is nobody's post."""
    node, evil, _ = arena
    mallory = evil.add_actor(f"m{time.time_ns()}")
    post = note(mallory, "an id that runs", suffix="x") | {
        "id": f"{scheme}://evil.test/users/{mallory.username}/%0aalert(1)"}
    send(node, mallory, create(mallory, post) | {"id": f"{mallory.uri}/activities/{time.time_ns()}"})
    assert not stored(node, post["id"])
