"""The URL registry: every URL it can build points at a route the real app registers, with the
pattern and methods it declares, so a link to a path nobody serves cannot be written."""
from __future__ import annotations

import inspect
from urllib.parse import urldefrag, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from backchannel.app import create_app
from backchannel.config import Config
from federation import as2
from federation.urls import ROUTES, Route, Urls

BASE = "https://learn.acme.example"
URLS = Urls(BASE)
ACTOR = URLS.actor("alice")

# A sample argument for each builder parameter; a builder with a parameter not listed here fails the
# walk below, so a new builder cannot slip past it.
SAMPLES: dict[str, object] = {"username": "alice", "status_id": 110123456789, "boost_id": 110123456790,
                              "serial": 1732838400123, "activity_id": 7, "actor_uri": ACTOR,
                              "activity_uri": URLS.activity(ACTOR, 7), "code": "Xy3_invite",
                              "version": "2.1", "name": "rust", "after_id": 110123456791,
                              "format": "rss", "list_id": 110123456792, "chat_id": 110123456793, "ext": ".md",
                              "replies_id": URLS.status_replies("alice", 110123456789),
                              "signature": "A" * 24, "remote_url": "https://files.example/a b/c.png?x=1&y=2",
                              "authorization_id": 110123456794, "status_uri": URLS.status("alice", 110123456789)}
NAME_BY_BUILDER = {"media": "kQ2v8YyW1mZrT0aB.png", "static": "style.css"}
NOT_BUILDERS = {"match", "stored_name", "public_media"}  # readers of URLs, and media kept elsewhere


def _app() -> web.Application:
    return create_app(Config(domain="learn.acme.example", data="/nonexistent", workers=False))


def _built() -> list[tuple[str, str]]:
    """(builder, URL) for every public builder of Urls, called with sample arguments."""
    out = []
    for name, method in inspect.getmembers(Urls, inspect.isfunction):
        if name.startswith("_") or name in NOT_BUILDERS:
            continue
        params = [p for p in inspect.signature(method).parameters if p != "self"]
        missing = [p for p in params if p not in SAMPLES]
        assert not missing, f"Urls.{name} takes {missing}: add a sample to SAMPLES"
        args = {p: SAMPLES[p] for p in params}
        if "name" in args and name in NAME_BY_BUILDER:
            args["name"] = NAME_BY_BUILDER[name]
        result = method(URLS, **args)
        values = result.values() if isinstance(result, dict) else [result]
        out += [(name, value) for value in values]
    return out


async def _resolves(app: web.Application, url: str) -> list[str]:
    """The methods the app answers at this URL's path (fragment and query dropped)."""
    path = urlsplit(urldefrag(url)[0]).path
    answered = []
    for method in ("GET", "POST"):
        match = await app.router.resolve(make_mocked_request(method, path, app=app))
        if match.http_exception is None:
            answered.append(method)
    return answered


async def test_every_url_a_builder_makes_is_served_by_the_app():
    # Given the real app and every builder of the registry
    app = _app()
    built = _built()
    assert len(built) > 25
    # When each built URL's path is resolved through the app's router
    unserved = [(name, url) for name, url in built
                if not url.startswith(BASE + "/") or not await _resolves(app, url)]
    # Then every one of them reaches a handler
    assert unserved == []


def _info(route: Route) -> dict:
    return web.UrlDispatcher().add_resource(route.path).get_info()


async def test_every_declared_route_is_registered_with_its_pattern_and_methods():
    # Given the routes the app registers, by their pattern
    registered: dict[str, set[str]] = {}
    for resource in _app().router.resources():
        key = str(resource.get_info().get("pattern") or resource.get_info().get("path"))
        registered.setdefault(key, set()).update(r.method for r in resource)
    # When each declaration of ROUTES is looked up there
    declared = list(ROUTES.all())
    assert len(declared) > 25
    problems = []
    for name, route in declared:
        info = _info(route)
        methods = registered.get(str(info.get("pattern") or info.get("path")))
        if methods is None or not set(route.methods) <= methods:
            problems.append((name, route.path, route.methods, methods))
    # Then each is registered exactly as declared
    assert problems == []


def test_a_value_the_route_would_not_match_cannot_be_built():
    with pytest.raises(ValueError):
        URLS.status("alice", "12; DROP")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        URLS.media("../../etc/passwd")
    with pytest.raises(ValueError):
        URLS.tag("a/b")
    with pytest.raises(ValueError):
        URLS.activity("https://elsewhere.example/users/mallory", 1)


def test_parsing_a_url_is_the_inverse_of_building_it():
    assert URLS.match(ROUTES.status, URLS.status("alice", 42)) == {"username": "alice", "status_id": "42"}
    assert URLS.match(ROUTES.profile, URLS.profile("bob") + "#top") == {"username": "bob"}
    assert URLS.match(ROUTES.tag, URLS.tag("café")) == {"name": "café"}
    assert URLS.match(ROUTES.profile, "https://elsewhere.example/@bob") is None
    assert URLS.match(ROUTES.media, BASE + "/media/..%2F..%2Fsecret.png") is None


def test_activity_ids_are_fragments_of_their_actor_and_undo_ids_derive_from_them():
    follow = URLS.activity(ACTOR, 7)
    assert urldefrag(follow)[0] == ACTOR
    assert URLS.undo(follow) != follow and urldefrag(URLS.undo(follow))[0] == ACTOR
    assert URLS.undo(URLS.status_activity("alice", 5)) == URLS.status_activity("alice", 5) + "#undo"
    assert URLS.status_update("alice", 5, 1) != URLS.status_update("alice", 5, 2)


def test_a_remote_hashtag_that_could_not_be_a_tag_here_is_dropped_so_every_stored_tag_has_a_url():
    # Given a remote Note whose Hashtag names include ones no post here could carry
    names = ["#Rust", "#café", "#a/b", "#x{y}", "#../admin", "#2024", "", "#" + "z" * 101]
    note = {"id": "https://remote.example/notes/1", "type": "Note", "content": "hi",
            "tag": [{"type": "Hashtag", "name": n} for n in names]}
    # When it is converted for storage
    tags = as2.note_values(note)["hashtags"]
    # Then only real hashtags remain, and each has a tag page URL on this node
    assert tags == ["rust", "café"]
    assert [URLS.match(ROUTES.tag, URLS.tag(t)) for t in tags] == [{"name": "rust"}, {"name": "café"}]


def test_media_under_a_public_url_are_named_there_and_still_recognised_as_this_nodes():
    # Given a node whose media are fetched from a CDN
    urls = Urls(BASE, "https://cdn.acme.example/m/")
    name = "kQ2v8YyW1mZrT0aB.png"
    # Then a file's URL is under the CDN, and both that and the node's own URL name the stored file
    assert urls.media(name) == "https://cdn.acme.example/m/" + name
    assert urls.stored_name(urls.media(name)) == name == urls.stored_name(URLS.media(name))
    # And nothing else is taken for a stored file, on the CDN or elsewhere
    for other in ("https://cdn.acme.example/m/../x.png", "https://cdn.acme.example/m/a/b.png",
                  "https://cdn.acme.example/other/" + name, "https://elsewhere.example/media/" + name, None):
        assert urls.stored_name(other) is None, other
    with pytest.raises(ValueError):
        urls.media("../../etc/passwd")
