"""Public pages from the templates: a hashtag link leads to a tag page listing the post, with the
same visibility rule as the hashtag timeline, escaped, content warnings folded, paginated; and every
HTML response carries the one CSP."""
from __future__ import annotations

import dataclasses
import re

from backchannel.app import create_app
from backchannel.keys import RUNTIME
from pages.security import CSP
from tests.api.conftest import ApiNode, node_config, settle


async def page(node, path: str) -> tuple[int, str, dict]:
    response = await node.client.get(path)
    return response.status, await response.text(), dict(response.headers)


async def test_a_hashtag_link_on_a_status_page_leads_to_a_tag_page_listing_the_post(node):
    # Given a public post with a hashtag
    alice = await node.person("alice")
    posted = await alice.post_status("Reading group on #Federation tonight")
    # When a visitor opens the post's page and follows the hashtag link
    status, html, _ = await page(node, f"/@alice/{posted['id']}")
    assert status == 200
    [link] = re.findall(r'<a href="([^"]+)"[^>]*>#<span>Federation</span></a>', html)
    target = link.replace(node.rt.urls.base, "")
    status, tag_html, headers = await page(node, target)
    # Then the tag page answers and lists the post, under the one CSP
    assert status == 200
    assert "<h1>#federation</h1>" in tag_html
    assert "Reading group on" in tag_html and f'id="status-{posted["id"]}"' in tag_html
    assert headers["Content-Security-Policy"] == CSP


async def test_the_tag_page_shows_only_what_an_anonymous_visitor_may_see(node):
    # Given posts with one tag at every visibility, and one by a suspended author
    alice = await node.person("alice")
    shown = await alice.post_status("open #secrets")
    for visibility in ("unlisted", "private", "direct", "local"):
        await alice.post_status(f"{visibility} post #secrets", visibility=visibility)
    troll = await node.person("troll")
    await troll.post_status("troll post #secrets")
    from social import moderation
    await moderation.suspend_account(node.rt, troll.account.id)
    # When an anonymous visitor opens the tag page
    status, html, _ = await page(node, "/tags/secrets")
    # Then only the public post is there
    assert status == 200
    assert re.findall(r'id="status-(\d+)"', html) == [shown["id"]]
    for hidden in ("unlisted post", "private post", "direct post", "local post", "troll post"):
        assert hidden not in html


async def test_content_warnings_are_folded_and_everything_is_escaped(node):
    # Given a post with a content warning and markup in both fields, by a person with markup in her name
    alice = await node.person("alice")
    async with node.rt.db.write() as conn:
        from sqlalchemy import update

        from models.schema import accounts
        await conn.execute(update(accounts).where(accounts.c.id == alice.account.id)
                           .values(display_name="<script>alert(1)</script>"))
    await alice.post_status("<img src=x onerror=alert(1)> #cw", spoiler_text="<b>spoilers</b> ahead")
    # When the tag page is shown
    status, html, _ = await page(node, "/tags/cw")
    # Then the text is inside a closed <details> whose summary is the warning, and nothing is unescaped
    assert status == 200
    assert re.search(r'<details class="content-warning"><summary>&lt;b&gt;spoilers&lt;/b&gt; ahead</summary>', html)
    assert "<details open" not in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


async def test_the_tag_page_is_paginated_with_a_fixed_number_of_queries(node):
    # Given 25 public posts with one tag
    alice = await node.person("alice")
    ids = [(await alice.post_status(f"post {n} #many"))["id"] for n in range(25)]
    # When the first page is shown, and then the page its "Older posts" link points at
    status, first, _ = await page(node, "/tags/many")
    older = re.search(r'<a rel="next" href="([^"]+)"', first).group(1)
    status2, second, _ = await page(node, "/tags/many" + older.replace("&amp;", "&"))
    # Then the two pages together list every post once, newest first
    assert status == status2 == 200
    listed = re.findall(r'id="status-(\d+)"', first) + re.findall(r'id="status-(\d+)"', second)
    assert listed == list(reversed(ids))
    assert 'rel="next"' not in second
    # And a cursor that is not an id is a clear 400, not a 500
    assert (await node.client.get("/tags/many?max_id=abc")).status == 400


async def test_every_html_response_carries_the_one_csp_and_the_stylesheet_is_served(node):
    await node.person("alice")
    for path in ("/", "/@alice", "/tags/none", "/admin/sign_in", "/invite/nope"):
        response = await node.client.get(path)
        assert response.content_type == "text/html", path
        assert response.headers["Content-Security-Policy"] == CSP, path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        html = await response.text()
        assert '<link rel="stylesheet" href="/static/style.css">' in html, path
        assert "<style" not in html and "style=" not in html and "<script" not in html, path
    css = await node.client.get("/static/style.css")
    assert css.status == 200 and css.content_type == "text/css"
    assert "details.content-warning" in await css.text()
    assert (await node.client.get("/static/nothing.css")).status == 404
    # The site's icon, named by every page and at the address browsers ask for on their own
    assert '<link rel="icon" type="image/png" href="/static/favicon.png">' in html
    for icon in ("/static/favicon.png", "/favicon.ico"):
        got = await node.client.get(icon)
        assert got.status == 200 and got.content_type == "image/png" and (await got.read())[:8] == b"\x89PNG\r\n\x1a\n"
    assert (await node.client.get("/static/..%2fsecurity.py")).status == 404


async def test_unknown_pages_are_404(node):
    assert (await node.client.get("/@nobody")).status == 404
    assert (await node.client.get("/@nobody/123")).status == 404
    alice = await node.person("alice")
    private = await alice.post_status("followers only", visibility="private")
    assert (await node.client.get(f"/@alice/{private['id']}")).status == 404


async def test_a_featured_tag_links_to_the_persons_posts_with_that_tag(node):
    # Given a person who features a tag, with one post carrying it and one not, and someone else's post
    alice = await node.person("alice")
    tagged = await alice.post_status("how we document #Docs")
    await alice.post_status("lunch")
    await (await node.person("bob")).post_status("bob on #docs")
    featured = await (await alice.post("/api/v1/featured_tags", json={"name": "docs"})).json()
    # When a visitor follows the featured tag's URL
    status, html, _ = await page(node, featured["url"].replace(node.rt.urls.base, ""))
    # Then it shows her posts with that tag only
    assert status == 200
    assert re.findall(r'id="status-(\d+)"', html) == [tagged["id"]]


async def test_a_tag_page_costs_the_same_few_queries_however_long_it_is(aiohttp_client, tmp_path, database_factory):
    # The node counts its own statements (count_statements: X-Statement-Count), those of the SQLite
    # fast path (models.rows) too, which a listener on SQLAlchemy's engine would not see.
    config = dataclasses.replace(node_config(tmp_path), database=database_factory() or "", count_statements=True)
    app = create_app(config)
    node = ApiNode(await aiohttp_client(app), app[RUNTIME])
    # Given a tag with 2 posts, then one with 20 posts by 20 different people
    for n in range(2):
        await (await node.person(f"few{n}")).post_status("#few")
    for n in range(20):
        await (await node.person(f"many{n}")).post_status("#many")
    await settle(node.rt)
    counts = []
    for tag in ("few", "many"):
        status, html, headers = await page(node, f"/tags/{tag}")
        assert status == 200 and html.count('class="status"') == (2 if tag == "few" else 20)
        counts.append(int(headers["X-Statement-Count"]))
    # Then both pages cost the same number of statements: the tag's page of ids; the statuses and
    # who may see them; their mentions, tags, images, polls and the viewer's facts; the authors;
    # the tag itself (its name as followed, featured, …)
    assert counts[0] == counts[1] <= 5, counts
    await settle(node.rt)


async def test_a_browser_at_an_address_with_nothing_gets_a_page_and_everyone_else_the_plain_404(node):
    await node.person("alice")
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    for path in ("/@nobody", "/no/such/page", "/@alice/12345"):
        response = await node.client.get(path, headers=browser)
        html = await response.text()
        assert response.status == 404 and response.content_type == "text/html", path
        assert "<h1>Not found</h1>" in html and '<a href="/">Back</a>' in html, path
        assert response.headers["Content-Security-Policy"] == CSP, path
    # Signed in on the web, the page keeps the person's menu
    from tests.pages.test_web_forms import signed_in

    csrf = await signed_in(node, "alice")
    html = await (await node.client.get("/no/such/page", headers=browser)).text()
    assert "@alice@acme.test" in html and f"name=csrf value='{csrf}'" in html and ">Sign out</button>" in html
    # An app, a fetching server or a script still gets the short answer
    for path, accept in (("/api/v1/statuses/1", "application/json"), ("/users/nobody", "application/activity+json"),
                         ("/@nobody", "*/*")):
        response = await node.client.get(path, headers={"Accept": accept})
        assert response.status == 404 and response.content_type != "text/html", path
