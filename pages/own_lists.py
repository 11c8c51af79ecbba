"""A person's own lists on the web (a list's shared page is pages/lists.py): make, rename and delete
them, choose which replies they show, keep their people off home (exclusive), share them (public),
read one as a timeline, and add or remove the people in it (by address: only people they follow, as
on the client API)."""
from __future__ import annotations

from aiohttp import web

from backchannel.keys import RUNTIME
from federation.urls import ROUTES
from models import collections
from pages import cards, session
from pages.people import PAGE_SIZE, find_account, max_id, page, problem
from pages.templating import path
from social import lists as lists_uc
from social.errors import NotFound, ServiceError

routes = web.RouteTableDef()
# Mastodon's replies policies, as its web interface words them.
REPLIES_SHOWN = (("list", "Replies to other people in this list"), ("followed", "Replies to anyone you follow"),
                 ("none", "No replies to others"))


@routes.get(ROUTES.web_lists.path)
async def lists_page(request: web.Request) -> web.Response:
    person = await session.require(request)
    async with request.app[RUNTIME].db.read() as conn:
        found = await collections.lists_of(conn, person.account.id)
    return page(request, "web/lists.html", "Lists", person=person, lists=found)


@routes.post(ROUTES.web_lists.path)
async def create_list(request: web.Request) -> web.Response:
    person = await session.require(request)
    form = await session.form(request, person)
    try:
        made = await lists_uc.create(request.app[RUNTIME], person.account, title=str(form.get("title") or ""),
                                     replies_policy="list", exclusive=form.get("exclusive") == "1")
    except ServiceError as err:
        return problem(request, err)
    raise web.HTTPSeeOther(path("web_list", list_id=made.id))


@routes.get(ROUTES.web_list.path)
async def list_page(request: web.Request) -> web.Response:
    """The list's timeline, its members, and the forms to change it."""
    person = await session.require(request)
    rt = request.app[RUNTIME]
    try:
        found = await lists_uc.own_list(rt, person.account, int(request.match_info["list_id"]))
    except NotFound:
        raise web.HTTPNotFound() from None
    async with rt.db.read() as conn:
        ids = await collections.list_timeline_ids(conn, found, person.account.id, max_id=max_id(request),
                                                  limit=PAGE_SIZE)
        shown = await cards.cards_of_ids(conn, rt, person.account, ids)
        members = await collections.list_members(conn, found.id, limit=200)
    return page(request, "web/list.html", found.title, person=person, list=found, cards=shown, ids=ids,
                limit=PAGE_SIZE, members=members, next=request.path_qs, policies=REPLIES_SHOWN)


@routes.post(ROUTES.web_list.path)
async def change_list(request: web.Request) -> web.Response:
    """action=add (acct) | remove (account_id) | rename (title, replies policy, exclusive, public) | delete."""
    person = await session.require(request)
    form = await session.form(request, person)
    rt = request.app[RUNTIME]
    list_id = int(request.match_info["list_id"])
    action = form.get("action")
    try:
        if action == "add":
            target = await find_account(rt, str(form.get("acct") or ""))
            if target is None:
                raise NotFound("Nobody by that address could be found.")
            await lists_uc.add_accounts(rt, person.account, list_id, [target.id])
        elif action == "remove":
            raw = str(form.get("account_id") or "")
            await lists_uc.remove_accounts(rt, person.account, list_id, [int(raw)] if raw.isdigit() else [])
        elif action == "rename":
            await lists_uc.update(rt, person.account, list_id, title=str(form.get("title") or ""),
                                  replies_policy=str(form.get("replies_policy") or "list"),
                                  exclusive=form.get("exclusive") == "1", public=form.get("public") == "1")
        elif action == "delete":
            await lists_uc.delete(rt, person.account, list_id)
            raise web.HTTPSeeOther(path("web_lists"))
        else:
            raise web.HTTPBadRequest(text="unknown action")
    except ServiceError as err:
        return problem(request, err)
    raise web.HTTPSeeOther(path("web_list", list_id=list_id))
