"""Link preview cards: a post's first link gets Mastodon's `card`, read from the page's OpenGraph
and oEmbed metadata by the node in the background, with the image stored on the node (no reader
contacts the linked site). The linked site here is a real HTTP server on loopback that records who
asked for what."""
from __future__ import annotations

import io

import pytest
from aiohttp import web
from PIL import Image

from backchannel.app import create_app
from backchannel.config import Config
from backchannel.keys import RUNTIME
from models import queues
from models.schema import preview_cards
from tests.api.conftest import ApiNode, eventually, settle

ARTICLE = """<!doctype html><html lang="en-GB"><head>
<title>Ignored when OpenGraph has a title</title>
<meta property="og:title" content="Deploys &amp; &lt;rollbacks&gt; at scale">
<meta property="og:description" content="What we learnt moving 40 teams to trunk-based development.">
<meta property="og:image" content="/cover.png"><meta property="og:image:alt" content="A release train">
<meta property="og:site_name" content="Globex Engineering">
<link rel="alternate" type="application/json+oembed" href="/oembed?url=article">
</head><body>{padding}</body></html>"""


def _png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
async def site(aiohttp_server):  # noqa: ANN001, ANN201
    """news.test: an article with OpenGraph and oEmbed, a photo page, a PDF and a page too large."""
    asked: list[str] = []

    async def record(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        asked.append(request.path_qs)
        return response

    async def article(request: web.Request) -> web.Response:
        return await record(request, web.Response(text=ARTICLE.format(padding=""), content_type="text/html"))

    async def oembed(request: web.Request) -> web.Response:
        return await record(request, web.json_response({"type": "link", "version": "1.0", "author_name": "Ada Ops",
                                                         "provider_name": "Globex Engineering"}))

    async def cover(request: web.Request) -> web.Response:
        return await record(request, web.Response(body=_png((1200, 630)), content_type="image/png"))

    async def photo_page(request: web.Request) -> web.Response:
        head = '<link rel="alternate" type="application/json+oembed" href="/photo-oembed"><title>A photo</title>'
        return await record(request, web.Response(text=f"<html><head>{head}</head></html>", content_type="text/html"))

    async def photo_oembed(request: web.Request) -> web.Response:
        return await record(request, web.json_response({"type": "photo", "version": "1.0", "title": "Whiteboard",
                                                        "url": "http://news.test/cover.png", "width": 1200, "height": 630}))

    async def pdf(request: web.Request) -> web.Response:
        return await record(request, web.Response(body=b"%PDF-1.4", content_type="application/pdf"))

    async def huge(request: web.Request) -> web.Response:
        padding = "x" * (3 * 1024 * 1024)
        return await record(request, web.Response(text=ARTICLE.format(padding=padding), content_type="text/html"))

    async def buried(request: web.Request) -> web.Response:
        script = "<script>" + "var x = 1;" * 80_000 + "</script>"
        return await record(request, web.Response(text=f"<html><head>{script}<title>Too late</title></head></html>",
                                                  content_type="text/html"))

    app = web.Application()
    app.add_routes([web.get("/article", article), web.get("/oembed", oembed), web.get("/cover.png", cover),
                    web.get("/photo", photo_page), web.get("/photo-oembed", photo_oembed),
                    web.get("/paper.pdf", pdf), web.get("/huge", huge),
                    web.get("/buried", buried)])
    server = await aiohttp_server(app)
    return server, asked


@pytest.fixture
async def node(aiohttp_client, tmp_path, site, database_factory):  # noqa: ANN001, ANN201
    server, _ = site
    config = Config(domain="acme.test", data=str(tmp_path), insecure_http=True, workers=True,
                    database=database_factory() or "", resolve={"news.test": ("127.0.0.1", server.port)},
                    max_body_bytes=1024 * 1024)
    app = create_app(config)
    client = await aiohttp_client(app)
    yield ApiNode(client, app[RUNTIME])
    await settle(app[RUNTIME])


async def _card(person, status_id: str) -> dict | None:  # noqa: ANN001
    return (await (await person.get(f"/api/v1/statuses/{status_id}")).json())["card"]


async def test_a_linked_article_gets_its_card_with_the_image_stored_here(node, site):
    _, asked = site
    alice = await node.person("alice")
    bob = await node.person("bob")
    post = await alice.post_status("Worth reading: http://news.test/article #devops")
    card = await eventually(lambda: _card(alice, post["id"]))
    # What the page says about itself, as text (an app escapes it), and oEmbed's author
    assert card["title"] == "Deploys & <rollbacks> at scale"
    assert card["description"].startswith("What we learnt moving 40 teams")
    assert (card["type"], card["url"], card["provider_name"], card["author_name"]) == (
        "link", "http://news.test/article", "Globex Engineering", "Ada Ops")
    assert card["image_description"] == "A release train" and card["language"] == "en"
    # The image is served by the node, shrunk, with a blurhash: readers never contact news.test
    assert card["image"].startswith("http://acme.test/") and card["blurhash"]
    assert max(card["width"], card["height"]) <= 640
    image = await node.client.get("/" + card["image"].split("/", 3)[3])
    assert image.status == 200 and image.content_type == "image/jpeg"

    # Another post linking there shares the card: the page is not asked for again; a boost shows it
    fetched = list(asked)
    again = await bob.post_status("Also http://news.test/article")
    assert (await eventually(lambda: _card(bob, again["id"])))["title"] == card["title"]
    assert asked == fetched
    boosted = await (await bob.post(f"/api/v1/statuses/{post['id']}/reblog")).json()
    assert boosted["reblog"]["card"]["title"] == card["title"]
    home = await (await bob.get("/api/v1/timelines/home")).json()
    assert [s["card"]["title"] for s in home if s["id"] == again["id"]] == [card["title"]]

    # An edit that drops the link drops the card
    edited = await alice.put(f"/api/v1/statuses/{post['id']}", json={"status": "Changed my mind #devops"})
    assert edited.status == 200 and (await edited.json())["card"] is None


async def test_oembed_photo_and_pages_that_give_no_card(node, site):
    _, asked = site
    alice = await node.person("alice")
    photo = await alice.post_status("http://news.test/photo")
    card = await eventually(lambda: _card(alice, photo["id"]))
    assert (card["type"], card["title"]) == ("photo", "Whiteboard") and card["image"].startswith("http://acme.test/")

    # A page of 3 MiB (over the node's 1 MiB cap) still has its card: only its head is read
    huge = await alice.post_status("Long read http://news.test/huge")
    assert (await eventually(lambda: _card(alice, huge["id"])))["title"] == "Deploys & <rollbacks> at scale"

    # No card: not a web page, metadata beyond the first 512 KiB, only a mention and a tag
    pdf = await alice.post_status("The paper: http://news.test/paper.pdf")
    buried = await alice.post_status("http://news.test/buried")
    mention_only = await alice.post_status("@alice #devops only a mention and a tag")
    await eventually(lambda: _cards_settled(node))
    for status in (pdf, buried, mention_only):
        assert await _card(alice, status["id"]) is None
    assert not any("tags" in path or "@" in path for path in asked)


async def test_a_blocked_domain_is_never_asked_for_a_card(node, site):
    _, asked = site
    alice = await node.person("alice", admin=True, scopes="read write admin:read admin:write")
    blocked = await alice.post("/api/v1/admin/domain_blocks", json={"domain": "news.test", "severity": "suspend"})
    assert blocked.status == 200, await blocked.text()
    post = await alice.post_status("Do not fetch http://news.test/article")
    await eventually(lambda: _cards_settled(node))
    assert await _card(alice, post["id"]) is None
    assert asked == []


async def _cards_settled(node: ApiNode) -> bool:
    """Every card fetch is over (done or given up)."""
    async with node.rt.db.read() as conn:
        return await queues.pending_count(conn, preview_cards) == 0
