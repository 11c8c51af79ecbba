"""Finding people: the profile directory, follow suggestions, and the experts on a topic."""
from __future__ import annotations

from aiohttp import web

from api import auth
from api.params import Params, path_id
from api.entities.accounts import account_entity
from api.entities.experts import expert_entity
from api.entities.statuses import status_entities
from backchannel.keys import RUNTIME
from models import accounts as accounts_store
from models import experts as experts_store
from models import profile as profile_store
from models import statuses as statuses_store
from models.search_index import words
from social import profile as profile_uc
from social.errors import Unprocessable

# Mastodon's deprecated single `source` next to the newer `sources`.
SOURCES = {"friends_of_friends": "past_interactions", "global": "global"}
SOURCES_V2 = {"friends_of_friends": "friends_of_friends", "global": "most_followed"}


async def directory(request: web.Request) -> web.Response:
    await auth.optional(request, "read:accounts")
    params = await Params.read(request)
    order = params.str("order") or "active"
    if order not in ("active", "new", "followers"):
        raise Unprocessable("Validation failed: order must be active, new or followers")
    rt = request.app[RUNTIME]
    topic = words(params.str("topic") or params.str("q") or "")
    async with rt.db.read(slow=bool(topic)) as conn:
        ids = await profile_store.directory(conn, order=order, local=params.bool("local"), topic=topic,
                                            offset=params.int("offset", 0, lo=0),  # type: ignore[arg-type]
                                            limit=params.int("limit", 40, lo=1, hi=80))  # type: ignore[arg-type]
        people = await accounts_store.get_many(conn, ids)
    return web.json_response([account_entity(rt, people[i]) for i in ids if i in people])


async def experts(request: web.Request) -> web.Response:
    """GET /api/v1/experts?q=TOPIC: who talks about it, best first, each with the posts that earned
    their place and the hashtags they use most (README, "Finding experts")."""
    viewer = await auth.optional(request, "read:search")
    params = await Params.read(request)
    topic = words(params.str("q") or params.str("topic") or "")
    if not topic:
        raise Unprocessable("Validation failed: q must name a topic")
    rt = request.app[RUNTIME]
    async with rt.db.read(slow=True) as conn:
        found = await experts_store.rank(conn, topic[:16], viewer.id if viewer else None,
                                         limit=params.int("limit", 10, lo=1, hi=40),  # type: ignore[arg-type]
                                         offset=params.int("offset", 0, lo=0, hi=1000),  # type: ignore[arg-type]
                                         local=params.bool("local"))
        people = await accounts_store.get_many(conn, [e.account_id for e in found])
        posts = await statuses_store.get_many(conn, [i for e in found for i in e.status_ids])
        shown = await status_entities(conn, rt, viewer, [posts[i] for e in found for i in e.status_ids if i in posts],
                                      context=None)
    by_id = {entity["id"]: entity for entity in shown}
    return web.json_response([
        expert_entity(rt, e, people[e.account_id], [by_id[str(i)] for i in e.status_ids if str(i) in by_id])
        for e in found if e.account_id in people])


async def _suggested(request: web.Request) -> list[tuple[dict, str]]:
    viewer = await auth.require(request, "read")
    params = await Params.read(request)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        found = await profile_store.suggestions(conn, viewer.account.id,
                                                params.int("limit", 40, lo=1, hi=80))  # type: ignore[arg-type]
        people = await accounts_store.get_many(conn, [i for i, _ in found])
    return [(account_entity(rt, people[i]), source) for i, source in found if i in people]


async def suggestions_v2(request: web.Request) -> web.Response:
    found = await _suggested(request)
    return web.json_response([{"source": SOURCES[source], "sources": [SOURCES_V2[source]], "account": account}
                              for account, source in found])


async def suggestions_v1(request: web.Request) -> web.Response:
    found = await _suggested(request)
    return web.json_response([account for account, _ in found])


async def dismiss(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read")
    await profile_uc.dismiss_suggestion(request.app[RUNTIME], viewer.account, path_id(request))
    return web.json_response({})


ROUTES = [
    web.get("/api/v1/directory", directory),
    web.get("/api/v1/experts", experts),
    web.get("/api/v2/suggestions", suggestions_v2),
    web.get("/api/v1/suggestions", suggestions_v1),
    web.delete(r"/api/v1/suggestions/{id:\d+}", dismiss),
]
