"""Finding people on the web: the profile directory (/directory: people here and the discoverable
accounts this node knows from elsewhere, by activity, newness or followers, through the query
/api/v1/directory uses) and "who talks about X" (/experts?q=…: models.experts' ranking, as
/api/v1/experts gives it, with the posts that earned each place and their most used hashtags).
Both are public; the posts shown are those the visitor may see (the cards' visibility rule)."""
from __future__ import annotations

from aiohttp import web

from backchannel.keys import RUNTIME
from federation.urls import ROUTES
from models import accounts as accounts_store
from models import experts as experts_store
from models import profile as profile_store
from models.search_index import words
from pages import cards, session
from pages.people import page

routes = web.RouteTableDef()
DIRECTORY_PAGE = 40
EXPERTS_PAGE = 10
ORDERS = (("active", "Recently active"), ("new", "New here"), ("followers", "Most followed"))
MAX_OFFSET = 1000


def _offset(request: web.Request) -> int:
    raw = request.query.get("offset", "0")
    return min(int(raw), MAX_OFFSET) if raw.isdigit() and len(raw) < 6 else 0


@routes.get(ROUTES.directory.path)
async def directory(request: web.Request) -> web.Response:
    person = await session.current(request)
    rt = request.app[RUNTIME]
    order = request.query.get("order", "active")
    order = order if order in dict(ORDERS) else "active"
    local = request.query.get("local") == "1"
    offset = _offset(request)
    async with rt.db.read() as conn:
        ids = await profile_store.directory(conn, order=order, local=local, offset=offset, limit=DIRECTORY_PAGE)
        found = await accounts_store.get_many(conn, ids)
    return page(request, "directory.html", "Directory", person=person, people=[found[i] for i in ids if i in found],
                order=order, orders=ORDERS, local=local, offset=offset, here=request.path_qs,
                more=offset + DIRECTORY_PAGE if len(ids) == DIRECTORY_PAGE and offset < MAX_OFFSET else None)


@routes.get(ROUTES.experts.path)
async def experts(request: web.Request) -> web.Response:
    person = await session.current(request)
    viewer = person.account if person else None
    rt = request.app[RUNTIME]
    q = request.query.get("q", "").strip()[:200]
    topic = words(q)[:16]
    offset = _offset(request)
    found, people, posts = [], {}, {}
    if topic:
        async with rt.db.read(slow=True) as conn:
            found = await experts_store.rank(conn, topic, viewer.id if viewer else None, limit=EXPERTS_PAGE,
                                             offset=offset)
            people = await accounts_store.get_many(conn, [e.account_id for e in found])
            shown = await cards.cards_of_ids(conn, rt, viewer, [i for e in found for i in e.status_ids])
            posts = {c.status.id: c for c in shown}
    results = [{"expert": e, "account": people[e.account_id],
                "posts": [posts[i] for i in e.status_ids if i in posts]}
               for e in found if e.account_id in people and people[e.account_id].suspended_at is None]
    return page(request, "experts.html", f"Who talks about {q}" if q else "Who talks about…", person=person,
                q=q, searched=bool(topic), results=results, offset=offset,
                more=offset + EXPERTS_PAGE if len(found) == EXPERTS_PAGE and offset < MAX_OFFSET else None)
