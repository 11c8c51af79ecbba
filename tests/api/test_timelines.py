"""Timelines and their Link headers."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from tests.api.conftest import eventually

LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')


def links(response) -> dict[str, str]:  # noqa: ANN001
    return {rel: url for url, rel in LINK.findall(response.headers.get("Link", ""))}


def local_path(url: str) -> str:
    """Links are absolute on the node's public URL; the test client reaches it by path."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "http://acme.test"
    return f"{parts.path}?{parts.query}"


async def test_home_timeline_pages_through_link_headers(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    assert (await bob.post(f"/api/v1/accounts/{alice.id}/follow")).status == 200
    posted = [(await alice.post_status(f"post {n}"))["id"] for n in range(5)]
    newest_first = list(reversed(posted))

    async def home_has_all():
        page = await (await bob.get("/api/v1/timelines/home", params={"limit": "40"})).json()
        return len(page) == 5
    await eventually(home_has_all)

    first = await bob.get("/api/v1/timelines/home", params={"limit": "2"})
    assert [s["id"] for s in await first.json()] == newest_first[:2]
    first_links = links(first)
    assert parse_qs(urlsplit(first_links["next"]).query) == {"limit": ["2"], "max_id": [newest_first[1]]}
    assert parse_qs(urlsplit(first_links["prev"]).query)["min_id"] == [newest_first[0]]

    second = await bob.get(local_path(first_links["next"]))
    assert [s["id"] for s in await second.json()] == newest_first[2:4]
    third = await bob.get(local_path(links(second)["next"]))
    assert [s["id"] for s in await third.json()] == newest_first[4:]
    last = await bob.get(local_path(links(third)["next"]))
    assert await last.json() == [] and "Link" not in last.headers

    # Back towards the newest: min_id gives the page just above, still newest first.
    back = await bob.get(local_path(links(third)["prev"]))
    assert [s["id"] for s in await back.json()] == newest_first[2:4]
    since = await bob.get("/api/v1/timelines/home", params={"since_id": newest_first[1]})
    assert [s["id"] for s in await since.json()] == newest_first[:1]


async def test_limit_is_clamped(node):
    alice = await node.person("alice")
    for n in range(3):
        await alice.post_status(f"post {n}")
    assert len(await (await alice.get("/api/v1/timelines/public", params={"limit": "0"})).json()) == 1
    assert len(await (await alice.get("/api/v1/timelines/public", params={"limit": "500"})).json()) == 3


async def test_public_timeline_is_open_and_filters_origin(node):
    alice = await node.person("alice")
    public = await alice.post_status("for everyone")
    await alice.post_status("quiet", visibility="unlisted")
    await alice.post_status("friends", visibility="private")
    everyone = await (await node.client.get("/api/v1/timelines/public")).json()
    assert [s["id"] for s in everyone] == [public["id"]]
    local = await (await node.client.get("/api/v1/timelines/public", params={"local": "true"})).json()
    assert [s["id"] for s in local] == [public["id"]]
    remote = await (await node.client.get("/api/v1/timelines/public", params={"remote": "1"})).json()
    assert remote == []


async def test_tag_timeline(node):
    alice = await node.person("alice")
    tagged = await alice.post_status("about #Python")
    await alice.post_status("about #rust")
    await alice.post_status("private #python", visibility="private")
    found = await (await node.client.get("/api/v1/timelines/tag/python")).json()
    assert [s["id"] for s in found] == [tagged["id"]]


async def test_tag_timeline_any_all_none(node):
    alice = await node.person("alice")
    both = await alice.post_status("#python and #rust")
    py = await alice.post_status("only #python")
    go = await alice.post_status("only #go")

    async def ids(query):
        return [s["id"] for s in await (await node.client.get(f"/api/v1/timelines/tag/python?{query}")).json()]

    assert await ids("") == [py["id"], both["id"]]
    assert await ids("any[]=go") == [go["id"], py["id"], both["id"]]
    assert await ids("all[]=rust") == [both["id"]]
    assert await ids("none[]=rust") == [py["id"]]


async def test_a_post_is_in_its_authors_home_timeline_when_the_api_answers(node):
    """An app that reloads home right after posting finds the post: the author's own row is written
    with the post, not later by the fan-out job (which fills the followers' timelines)."""
    alice = await node.person("alice")
    for n in range(10):
        posted = await alice.post_status(f"note to self {n}")
        home = await (await alice.get("/api/v1/timelines/home")).json()
        assert home[0]["id"] == posted["id"]
