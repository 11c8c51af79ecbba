"""Remote media are served from this node: a remote post's attachment and a remote account's avatar
reach readers as this node's URLs, fetched once from the remote server (a real HTTP server on
loopback that counts requests), kept, pruned, and refused when they are not media or not signed by
this node."""
from __future__ import annotations

import dataclasses
import io
import re
import time
from urllib.parse import quote, unquote

import pytest
from aiohttp import web
from PIL import Image

from backchannel.app import create_app
from backchannel.keys import RUNTIME
from federation import as2, deref
from social import media_cache, remote
from tests.api.conftest import ApiNode, node_config, settle


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()
WEBM = b"\x1a\x45\xdf\xa3" + bytes(200)  # the first bytes of a Matroska/WebM file
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


@pytest.fixture
async def files(aiohttp_server):  # noqa: ANN001, ANN201
    asked: list[str] = []

    async def serve(request: web.Request) -> web.Response:
        asked.append(request.path)
        body = SVG if "svg" in request.path else WEBM if "webm" in request.path else PNG
        return web.Response(body=body, content_type="image/png")  # the SVG lies about its type

    app = web.Application()
    app.add_routes([web.get("/{name}", serve)])
    return await aiohttp_server(app), asked


async def _node(aiohttp_client, tmp_path, files, **settings):  # noqa: ANN001, ANN003, ANN202
    server, _ = files
    config = dataclasses.replace(node_config(tmp_path), resolve={"files.test": ("127.0.0.1", server.port)}, **settings)
    app = create_app(config)
    client = await aiohttp_client(app)
    return ApiNode(client, app[RUNTIME])


async def _remote_post(node: ApiNode, attachment_url: str, *, tag: str = "") -> tuple[int, int]:
    actor = {"id": "http://remote.test/users/ann", "type": "Person", "preferredUsername": "ann",
             "inbox": "http://remote.test/users/ann/inbox", "icon": {"type": "Image", "url": "http://files.test/ann.png"}}
    note = {"id": f"http://remote.test/notes/{time.time_ns()}", "type": "Note", "attributedTo": actor["id"],
            "content": f"<p>look #{tag}</p>" if tag else "<p>look</p>", "to": [as2.AS + "#Public"],
            "published": as2.iso(time.time()),
            "tag": [{"type": "Hashtag", "name": f"#{tag}", "href": f"http://remote.test/tags/{tag}"}] if tag else [],
            "attachment": [{"type": "Document", "mediaType": "image/png", "url": attachment_url}]}
    author = await deref.store_actor(node.rt, as2.actor_values(actor))
    status = await remote.store_note(node.rt, note, author)
    return status.id, author.id


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


async def test_pages_show_remote_media_and_avatars_from_this_node(aiohttp_client, tmp_path, files):
    # A web page is an app too: its <img> must not make a reader's browser ask the remote server.
    node = await _node(aiohttp_client, tmp_path, files)
    _, asked = files
    await _remote_post(node, "http://files.test/chart.png", tag="charts")
    page = await (await node.client.get("/tags/charts")).text()
    sources = [unquote(s) for s in re.findall(r'<img [^>]*src="([^"]+)"', page)]
    assert any(s.startswith("/media/proxy/") and s.endswith("/http://files.test/chart.png") for s in sources), sources
    assert any(s.startswith("/media/proxy/") and s.endswith("/http://files.test/ann.png") for s in sources), sources
    assert not [s for s in sources if "files.test" in s and not s.startswith("/media/proxy/")]
    for source in sources:
        if source.startswith("/media/proxy/"):
            shown = await node.client.get(quote(source, safe="/"))
            assert shown.status == 200 and shown.content_type == "image/png"
    assert sorted(asked) == ["/ann.png", "/chart.png"]


async def test_remote_media_and_avatars_are_served_from_this_node(aiohttp_client, tmp_path, files):
    node = await _node(aiohttp_client, tmp_path, files)
    _, asked = files
    alice = await node.person("alice")
    status_id, _ = await _remote_post(node, "http://files.test/diagram.png")
    shown = await (await alice.get(f"/api/v1/statuses/{status_id}")).json()
    [media] = shown["media_attachments"]
    assert media["remote_url"] == "http://files.test/diagram.png"
    for url in (media["url"], media["preview_url"], shown["account"]["avatar"]):
        assert url.startswith("http://acme.test/media/proxy/"), url
    assert asked == []  # nothing is fetched until someone looks

    for _ in range(3):
        got = await node.client.get(_path(media["url"]))
        assert (got.status, got.content_type, await got.read()) == (200, "image/png", PNG)
        assert got.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in got.headers["Content-Security-Policy"]
    avatar = await node.client.get(_path(shown["account"]["avatar"]))
    assert avatar.status == 200 and await avatar.read() == PNG
    assert sorted(asked) == ["/ann.png", "/diagram.png"]  # each fetched once

    # A URL this node did not sign, or a signature moved to another URL, is nobody's proxy
    signature, quoted = _path(media["url"]).split("/")[3:5]
    other = media_cache.proxy_url(node.rt, "http://files.test/other.png").split("/")[-1]
    assert (await node.client.get(f"/media/proxy/{signature}/{other}")).status == 404
    assert (await node.client.get(f"/media/proxy/{'A' * 24}/{quoted}")).status == 404
    # nor is the same URL spelled otherwise (each spelling might reach another file or host)
    for spelling in ("HTTP://files.test/diagram.png", "http://FILES.test/diagram.png", "http://files.test./diagram.png",
                     "http://files.test:80/diagram.png", "http://files.test/diagram.png?x=1",
                     "http://files.test/diagram.png#x", "http://files.test//diagram.png",
                     "http://files.test/%64iagram.png", "http://files.test/./diagram.png",
                     "http://files.test@127.0.0.1/diagram.png", "http://files.test/diagram.png/../other.png"):
        assert (await node.client.get(f"/media/proxy/{signature}/{quote(spelling, safe='')}")).status == 404, spelling
    assert (await node.client.get(f"/media/proxy/{signature}/{quoted.replace('%2F', '/')}")).status == 200
    # What is not an image, video or sound is not kept, whatever its Content-Type said
    svg = media_cache.proxy_url(node.rt, "http://files.test/evil.svg")
    assert (await node.client.get(_path(svg))).status == 404

    # Pruned (unused past the cache's age), the copy is fetched again by the next reader
    node.rt.config = dataclasses.replace(node.rt.config, remote_media_cache_days=0)
    assert await media_cache.prune(node.rt) == 2
    assert (await node.client.get(_path(media["url"]))).status == 200
    assert asked.count("/diagram.png") == 2
    await settle(node.rt)


async def test_hotlinking_when_the_admin_chooses_it(aiohttp_client, tmp_path, files):
    node = await _node(aiohttp_client, tmp_path, files, remote_media="hotlink")
    alice = await node.person("alice")
    status_id, _ = await _remote_post(node, "http://files.test/diagram.png")
    shown = await (await alice.get(f"/api/v1/statuses/{status_id}")).json()
    assert shown["media_attachments"][0]["url"] == "http://files.test/diagram.png"
    assert shown["account"]["avatar"] == "http://files.test/ann.png"
    await settle(node.rt)


async def test_a_blocked_domain_is_never_asked(aiohttp_client, tmp_path, files):
    node = await _node(aiohttp_client, tmp_path, files)
    _, asked = files
    admin = await node.person("root", admin=True, scopes="read write admin:read admin:write")
    blocked = await admin.post("/api/v1/admin/domain_blocks", json={"domain": "files.test", "severity": "suspend"})
    assert blocked.status == 200
    proxied = media_cache.proxy_url(node.rt, "http://files.test/diagram.png")
    assert (await node.client.get(_path(proxied))).status == 404
    assert asked == []
    await settle(node.rt)


async def test_media_on_s3_with_a_public_url_are_fetched_from_there(aiohttp_client, tmp_path, files):
    import urllib.request

    from tests.api.test_media import upload
    from tests.rig.s3 import ACCESS_KEY, REGION, SECRET_KEY, create_bucket, make_public, s3_server

    def fetch(url: str) -> bytes:
        with urllib.request.urlopen(url, timeout=30) as got:
            return got.read()

    with s3_server() as endpoint:
        create_bucket(endpoint, "public")
        make_public(endpoint, "public")
        # Given a node keeping media in a bucket that readers fetch from directly (media_public_url)
        public = f"{endpoint}/public/m/"
        node = await _node(aiohttp_client, tmp_path, files, media_storage="s3", s3_bucket="public",
                           s3_endpoint=endpoint, s3_region=REGION, s3_access_key=ACCESS_KEY,
                           s3_secret_key=SECRET_KEY, s3_prefix="m/", media_public_url=public)
        alice = await node.person("alice")
        # When alice uploads an image
        media = await upload(alice, PNG, name="chart.png", ctype="image/png")
        # Then its URL and its thumbnail's are under the public URL, and the bucket serves them there
        assert media["url"].startswith(public) and media["preview_url"].startswith(public), media
        assert fetch(media["url"])[:8] == b"\x89PNG\r\n\x1a\n" and fetch(media["preview_url"])
        # And the node still serves the file at its own address (links already given out keep working)
        name = media["url"].rsplit("/", 1)[1]
        assert (await node.client.get(f"/media/{name}")).status == 200
        # When a reader opens a remote post's image (the node's proxy address, as before)
        status_id, _ = await _remote_post(node, "http://files.test/public-diagram.png")
        shown = await (await alice.get(f"/api/v1/statuses/{status_id}")).json()
        proxied = shown["media_attachments"][0]["url"]
        assert proxied.startswith("http://acme.test/media/proxy/")
        got = await node.client.get(_path(proxied), allow_redirects=False)
        # Then the node keeps a copy in the bucket and sends the reader there for the bytes
        assert got.status == 302 and got.headers["Location"].startswith(public)
        assert fetch(got.headers["Location"]) == PNG
        await settle(node.rt)


async def test_a_pull_cdn_in_front_of_the_data_folder_gets_every_kind_of_cached_file(aiohttp_client, tmp_path, files):
    # media_public_url with the data folder: a CDN that fetches from the node's /media/ on a miss.
    node = await _node(aiohttp_client, tmp_path, files, media_public_url="https://cdn.acme.test/media/")
    alice = await node.person("alice")
    status_id, _ = await _remote_post(node, "http://files.test/talk.webm")
    shown = await (await alice.get(f"/api/v1/statuses/{status_id}")).json()
    got = await node.client.get(_path(shown["media_attachments"][0]["url"]), allow_redirects=False)
    assert got.status == 302 and got.headers["Location"].startswith("https://cdn.acme.test/media/cache-")
    name = got.headers["Location"].rsplit("/", 1)[1]
    assert name.endswith(".webm")
    pulled = await node.client.get(f"/media/{name}")
    assert pulled.status == 200 and pulled.content_type == "video/webm" and await pulled.read() == WEBM
