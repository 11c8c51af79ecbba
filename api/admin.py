"""The Mastodon admin API (https://docs.joinmastodon.org/methods/admin/): accounts, domain blocks,
domain allows and reports. A token needs `admin:read` / `admin:write` (or the granular
`admin:read:accounts`, `admin:write:domain_blocks`, …) AND must belong to staff; either missing is a
403. Admins may do everything; moderators (Mastodon's Moderator role) only reports and account actions
(not deletion), and never on an admin or another moderator. Every action calls social.moderation, as
the CLI and the admin pages do."""
from __future__ import annotations

from aiohttp import web

from api import auth
from api.pagination import paged_json
from api.params import Params, path_id
from api.entities.admin import (admin_account_entity, admin_domain_allow_entity, admin_domain_block_entity,
                                admin_report_entities)
from backchannel.keys import RUNTIME
from federation.runtime import Runtime
from models import accounts as accounts_store
from models import moderation as store
from models.moderation import Report
from social import moderation
from social.errors import Forbidden, NotFound, Unprocessable

ADMIN_SCOPES = auth.ADMIN_SCOPES
# What a moderator's token may do: reports and accounts; domains and federation are the admins'.
MODERATOR_SCOPES = frozenset({"admin:read:accounts", "admin:write:accounts", "admin:read:reports",
                              "admin:write:reports"})


def covers(granted: frozenset[str], scope: str) -> bool:
    """admin:read covers admin:read:accounts, and so on; `read` and `write` cover no admin scope."""
    parts = scope.split(":")
    return scope in granted or (len(parts) == 3 and ":".join(parts[:2]) in granted)


async def require_admin(request: web.Request, scope: str, *, admins_only: bool = False) -> auth.Viewer:
    found = await auth.authenticate(request)
    if found is None:
        raise auth.Unauthorized()
    if not covers(found.scopes, scope):
        raise auth.OutOfScope()
    if found.user is None or found.account is None:
        raise auth.UserRequired()
    moderator_may = scope in MODERATOR_SCOPES and not admins_only
    if not (found.user.admin or (found.user.moderator and moderator_may)):
        raise Forbidden("This action is not allowed")
    return auth.Viewer(found.user, found.account, found)


# --- Accounts -----------------------------------------------------------------------------------

async def _admin_account_response(rt: Runtime, account_id: int) -> web.Response:
    async with rt.db.read() as conn:
        account = await accounts_store.get(conn, account_id)
        if account is None or account.id == rt.instance_account_id:
            raise NotFound("Record not found")
        user = await store.user_of(conn, account.id)
    return web.json_response(admin_account_entity(rt, account, user))


async def _list_accounts(request: web.Request, filters: dict, params: Params) -> web.Response:
    rt = request.app[RUNTIME]
    limit = params.int("limit", 100, lo=1, hi=200)
    async with rt.db.read() as conn:
        found = await store.admin_accounts(
            conn, max_id=params.id("max_id"), since_id=params.id("since_id"), min_id=params.id("min_id"),
            limit=limit, include_instance_actor=rt.instance_account_id, **filters)
        users = await store.users_of(conn, [a.id for a in found])
    return paged_json(request, [admin_account_entity(rt, a, users.get(a.id)) for a in found], [a.id for a in found])


async def list_accounts_v1(request: web.Request) -> web.Response:
    await require_admin(request, "admin:read:accounts")
    params = await Params.read(request)
    origin = "local" if params.bool("local") else "remote" if params.bool("remote") else None
    status = next((s for s in ("pending", "disabled", "silenced", "suspended", "active") if params.bool(s)), None)
    filters = {"origin": origin, "status": status, "username": params.str("username"),
               "display_name": params.str("display_name"), "by_domain": params.str("by_domain"),
               "email": params.str("email"), "staff": params.bool("staff")}
    return await _list_accounts(request, filters, params)


async def list_accounts_v2(request: web.Request) -> web.Response:
    await require_admin(request, "admin:read:accounts")
    params = await Params.read(request)
    origin = params.str("origin")
    status = params.str("status")
    if origin not in (None, "local", "remote"):
        raise Unprocessable("origin must be local or remote")
    if status not in (None, "active", "pending", "disabled", "silenced", "suspended"):
        raise Unprocessable("status must be active, pending, disabled, silenced or suspended")
    filters = {"origin": origin, "status": status, "username": params.str("username"),
               "display_name": params.str("display_name"), "by_domain": params.str("by_domain"),
               "email": params.str("email"), "staff": params.str("permissions") == "staff"}
    return await _list_accounts(request, filters, params)


async def show_account(request: web.Request) -> web.Response:
    await require_admin(request, "admin:read:accounts")
    return await _admin_account_response(request.app[RUNTIME], path_id(request))


ACTIONS = {"disable": moderation.disable_login, "silence": moderation.silence_account,
           "suspend": moderation.suspend_account, "sensitive": moderation.sensitize_account}


async def account_action(request: web.Request) -> web.Response:
    viewer = await require_admin(request, "admin:write:accounts")
    params = await Params.read(request)
    rt = request.app[RUNTIME]
    kind = params.str("type") or "none"
    if kind not in ("none", "sensitive", "disable", "silence", "suspend"):
        raise Unprocessable("type must be none, sensitive, disable, silence or suspend")
    account_id = path_id(request)
    if account_id == viewer.account.id and kind != "none":
        raise Forbidden("You cannot do that to yourself")
    if kind != "none":
        await moderation.check_may_moderate(rt, viewer.user, account_id)
    if kind in ACTIONS:
        await ACTIONS[kind](rt, account_id)
    else:
        await _admin_account_response(rt, account_id)  # 404 for an unknown account
    if report_id := params.id("report_id"):
        await moderation.resolve_report(rt, report_id, viewer.account)
    return web.json_response({})


def _simple_action(scope: str, case):  # noqa: ANN001, ANN202
    async def handler(request: web.Request) -> web.Response:
        # Deleting an account's data is the admins' (Mastodon's delete_user_data permission).
        viewer = await require_admin(request, scope, admins_only=case is moderation.delete_account)
        rt = request.app[RUNTIME]
        account_id = path_id(request)
        if case in (moderation.delete_account, moderation.reject_account) and account_id == viewer.account.id:
            raise Forbidden("You cannot do that to yourself")
        await moderation.check_may_moderate(rt, viewer.user, account_id)
        async with rt.db.read() as conn:
            before = await accounts_store.get(conn, account_id)
            user_before = await store.user_of(conn, account_id)
        await case(rt, account_id)
        if case in (moderation.delete_account, moderation.reject_account) and before is not None:
            return web.json_response(admin_account_entity(rt, before, user_before))
        return await _admin_account_response(rt, account_id)
    return handler


# --- Domain blocks and allows -------------------------------------------------------------------

async def list_domain_blocks(request: web.Request) -> web.Response:
    await require_admin(request, "admin:read:domain_blocks")
    found = await moderation.list_domain_blocks(request.app[RUNTIME])
    return web.json_response([admin_domain_block_entity(b) for b in found])


async def show_domain_block(request: web.Request) -> web.Response:
    await require_admin(request, "admin:read:domain_blocks")
    return web.json_response(admin_domain_block_entity(await moderation.get_domain_block(request.app[RUNTIME],
                                                                                   path_id(request))))


async def create_domain_block(request: web.Request) -> web.Response:
    await require_admin(request, "admin:write:domain_blocks")
    params = await Params.read(request)
    rt = request.app[RUNTIME]
    domain = params.required_text("domain", "Domain")
    async with rt.db.read() as conn:
        existing = await store.domain_block(conn, domain=moderation.checked_domain(domain))
    if existing is not None:
        return web.json_response({"error": f"{existing.domain} is already blocked",
                                  "existing_domain_block": admin_domain_block_entity(existing)}, status=422)
    block = await moderation.block_domain(
        rt, domain, params.str("severity") or "silence", reject_media=params.bool("reject_media"),
        public_comment=params.str("public_comment") or "", private_comment=params.str("private_comment") or "")
    return web.json_response(admin_domain_block_entity(block))


async def update_domain_block(request: web.Request) -> web.Response:
    await require_admin(request, "admin:write:domain_blocks")
    params = await Params.read(request)
    block = await moderation.update_domain_block(
        request.app[RUNTIME], path_id(request), severity=params.str("severity"),
        reject_media=params.bool("reject_media") if "reject_media" in params else None,
        public_comment=params.str("public_comment"), private_comment=params.str("private_comment"))
    return web.json_response(admin_domain_block_entity(block))


async def delete_domain_block(request: web.Request) -> web.Response:
    await require_admin(request, "admin:write:domain_blocks")
    await moderation.unblock_domain(request.app[RUNTIME], block_id=path_id(request))
    return web.json_response({})


async def list_domain_allows(request: web.Request) -> web.Response:
    await require_admin(request, "admin:read:domain_allows")
    found = await moderation.list_domain_allows(request.app[RUNTIME])
    return web.json_response([admin_domain_allow_entity(a) for a in found])


async def show_domain_allow(request: web.Request) -> web.Response:
    await require_admin(request, "admin:read:domain_allows")
    return web.json_response(admin_domain_allow_entity(await moderation.get_domain_allow(request.app[RUNTIME],
                                                                                   path_id(request))))


async def create_domain_allow(request: web.Request) -> web.Response:
    await require_admin(request, "admin:write:domain_allows")
    params = await Params.read(request)
    domain = params.required_text("domain", "Domain")
    return web.json_response(admin_domain_allow_entity(await moderation.allow_domain(request.app[RUNTIME], domain)))


async def delete_domain_allow(request: web.Request) -> web.Response:
    await require_admin(request, "admin:write:domain_allows")
    await moderation.disallow_domain(request.app[RUNTIME], allow_id=path_id(request))
    return web.json_response({})


# --- Federation mode (a Backchannel extension: Mastodon keeps it in its configuration) -----------

async def show_federation(request: web.Request) -> web.Response:
    await require_admin(request, "admin:read:domain_allows")
    return web.json_response({"mode": await request.app[RUNTIME].policy.mode()})


async def change_federation(request: web.Request) -> web.Response:
    """Set the federation mode (open, blocklist or allowlist); every process follows within a second."""
    await require_admin(request, "admin:write:domain_allows")
    params = await Params.read(request)
    mode = await moderation.set_federation_mode(request.app[RUNTIME], (params.str("mode") or "").strip())
    return web.json_response({"mode": mode})


# --- Reports ------------------------------------------------------------------------------------

async def list_reports(request: web.Request) -> web.Response:
    await require_admin(request, "admin:read:reports")
    params = await Params.read(request)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        found = await store.list_reports(
            conn, resolved=params.bool("resolved"), account_id=params.id("account_id"),
            target_account_id=params.id("target_account_id"), max_id=params.id("max_id"),
            since_id=params.id("since_id"), min_id=params.id("min_id"),
            limit=params.int("limit", 100, lo=1, hi=200))  # type: ignore[arg-type]
        body = await admin_report_entities(conn, rt, found)
    return paged_json(request, body, [r.id for r in found])


async def _report_response(rt: Runtime, report: Report) -> web.Response:
    async with rt.db.read() as conn:
        body = await admin_report_entities(conn, rt, [report])
    if not body:
        raise NotFound("Record not found")
    return web.json_response(body[0])


async def show_report(request: web.Request) -> web.Response:
    await require_admin(request, "admin:read:reports")
    rt = request.app[RUNTIME]
    return await _report_response(rt, await moderation.get_report(rt, path_id(request)))


async def resolve_report(request: web.Request) -> web.Response:
    viewer = await require_admin(request, "admin:write:reports")
    rt = request.app[RUNTIME]
    return await _report_response(rt, await moderation.resolve_report(rt, path_id(request), viewer.account))


async def assign_report_to_self(request: web.Request) -> web.Response:
    viewer = await require_admin(request, "admin:write:reports")
    return await _report_response(request.app[RUNTIME], await moderation.assign_report(
        request.app[RUNTIME], path_id(request), viewer.account))


async def unassign_report(request: web.Request) -> web.Response:
    await require_admin(request, "admin:write:reports")
    return await _report_response(request.app[RUNTIME], await moderation.assign_report(
        request.app[RUNTIME], path_id(request), None))


async def reopen_report(request: web.Request) -> web.Response:
    viewer = await require_admin(request, "admin:write:reports")
    rt = request.app[RUNTIME]
    return await _report_response(rt, await moderation.reopen_report(rt, path_id(request), viewer.account))


A = "/api/v1/admin"
W = "admin:write:accounts"
ROUTES = [
    web.get(f"{A}/accounts", list_accounts_v1),
    web.get("/api/v2/admin/accounts", list_accounts_v2),
    web.get(rf"{A}/accounts/{{id:\d+}}", show_account),
    web.post(rf"{A}/accounts/{{id:\d+}}/action", account_action),
    web.post(rf"{A}/accounts/{{id:\d+}}/approve", _simple_action(W, moderation.approve_account)),
    web.post(rf"{A}/accounts/{{id:\d+}}/reject", _simple_action(W, moderation.reject_account)),
    web.post(rf"{A}/accounts/{{id:\d+}}/enable", _simple_action(W, moderation.enable_login)),
    web.post(rf"{A}/accounts/{{id:\d+}}/unsilence", _simple_action(W, moderation.unsilence_account)),
    web.post(rf"{A}/accounts/{{id:\d+}}/unsuspend", _simple_action(W, moderation.unsuspend_account)),
    web.post(rf"{A}/accounts/{{id:\d+}}/unsensitive", _simple_action(W, moderation.unsensitize_account)),
    web.delete(rf"{A}/accounts/{{id:\d+}}", _simple_action(W, moderation.delete_account)),
    web.get(f"{A}/domain_blocks", list_domain_blocks),
    web.post(f"{A}/domain_blocks", create_domain_block),
    web.get(rf"{A}/domain_blocks/{{id:\d+}}", show_domain_block),
    web.put(rf"{A}/domain_blocks/{{id:\d+}}", update_domain_block),
    web.delete(rf"{A}/domain_blocks/{{id:\d+}}", delete_domain_block),
    web.get(f"{A}/domain_allows", list_domain_allows),
    web.post(f"{A}/domain_allows", create_domain_allow),
    web.get(rf"{A}/domain_allows/{{id:\d+}}", show_domain_allow),
    web.delete(rf"{A}/domain_allows/{{id:\d+}}", delete_domain_allow),
    web.get(f"{A}/federation", show_federation),
    web.put(f"{A}/federation", change_federation),
    web.get(f"{A}/reports", list_reports),
    web.get(rf"{A}/reports/{{id:\d+}}", show_report),
    web.post(rf"{A}/reports/{{id:\d+}}/resolve", resolve_report),
    web.post(rf"{A}/reports/{{id:\d+}}/reopen", reopen_report),
    web.post(rf"{A}/reports/{{id:\d+}}/assign_to_self", assign_report_to_self),
    web.post(rf"{A}/reports/{{id:\d+}}/unassign", unassign_report),
]
