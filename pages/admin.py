"""Admin pages at /admin, and the invite sign-up page at /invite/{code}.

Signing in sets a session cookie (HttpOnly, SameSite=Lax, Secure on https) holding the user id, an
expiry and an HMAC made with a secret kept in the data folder; every request re-reads the user, so a
user who is no longer an admin (or is disabled) is out at once. Every form carries a CSRF token
derived from the session (or, for the anonymous sign-up form, a random cookie). Everything shown is
escaped. The actions call the same social.moderation use cases as the CLI and the admin API.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
import time
from html import escape
from pathlib import Path

from aiohttp import web

from backchannel.keys import RUNTIME
from federation.runtime import Runtime
from models import accounts as accounts_store
from models import moderation as store
from models.accounts import Account
from social import moderation, registrations
from social.errors import ServiceError

routes = web.RouteTableDef()
COOKIE = "backchannel_admin"
ANON_COOKIE = "backchannel_form"
SESSION_SECONDS = 12 * 3600
SECRET_FILE = "admin_session_secret"


# --- Sessions and CSRF --------------------------------------------------------------------------

def _secret(rt: Runtime) -> bytes:
    """A random secret in the data folder, made on first use, readable only by the node's user."""
    path = Path(rt.config.data) / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(value)
        return bytes.fromhex(value)


def _mac(rt: Runtime, message: str) -> str:
    return hmac.new(_secret(rt), message.encode(), hashlib.sha256).hexdigest()


def _session_value(rt: Runtime, user_id: int) -> str:
    payload = f"{user_id}.{int(time.time()) + SESSION_SECONDS}"
    return f"{payload}.{_mac(rt, 'session:' + payload)}"


def _session_user_id(rt: Runtime, value: str | None) -> int | None:
    if not value or value.count(".") != 2:
        return None
    user_id, expires, mac = value.split(".")
    if not (user_id.isdigit() and expires.isdigit()) or int(expires) < time.time():
        return None
    if not hmac.compare_digest(mac, _mac(rt, f"session:{user_id}.{expires}")):
        return None
    return int(user_id)


def _csrf(rt: Runtime, request: web.Request) -> str:
    return _mac(rt, "csrf:" + (request.cookies.get(COOKIE) or ""))


def _set_cookie(rt: Runtime, response: web.StreamResponse, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="Lax",
                        secure=rt.config.scheme == "https", path="/")


async def _admin(request: web.Request) -> Account:
    """The signed-in admin; anyone else is sent to the sign-in form."""
    rt = request.app[RUNTIME]
    user_id = _session_user_id(rt, request.cookies.get(COOKIE))
    if user_id is not None:
        async with rt.db.read() as conn:
            user = await accounts_store.user_by_id(conn, user_id)
            account = await accounts_store.get(conn, user.account_id) if user else None
        if user and account and user.admin and not user.disabled and account.suspended_at is None:
            return account
    raise web.HTTPSeeOther("/admin/sign_in")


async def _form(request: web.Request, account: Account) -> dict[str, str]:
    """A POSTed form whose CSRF token matches this session's."""
    rt = request.app[RUNTIME]
    form = await request.post()
    token = form.get("csrf")
    if not isinstance(token, str) or not hmac.compare_digest(token, _csrf(rt, request)):
        raise web.HTTPForbidden(text="invalid CSRF token")
    return {k: v for k, v in form.items() if isinstance(v, str)}


# --- HTML ---------------------------------------------------------------------------------------

STYLE = ("body{font:15px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
         "table{border-collapse:collapse;width:100%}td,th{border-top:1px solid #ddd;padding:.3em;"
         "text-align:left;vertical-align:top}form.inline{display:inline}nav a{margin-right:1em}"
         ".error{color:#a00}")


def _html(title: str, body: str, *, nav: bool = True, csrf: str = "", status: int = 200) -> web.Response:
    menu = ""
    if nav:
        menu = ("<nav><a href='/admin/reports'>Reports</a><a href='/admin/domains'>Domains</a>"
                "<a href='/admin/accounts'>Accounts</a>"
                f"<form class=inline method=post action='/admin/sign_out'>{_hidden(csrf)}"
                "<button>Sign out</button></form></nav>")
    page = (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
            f"<meta name=viewport content='width=device-width,initial-scale=1'><style>{STYLE}</style>"
            f"</head><body>{menu}<h1>{escape(title)}</h1>{body}</body></html>")
    return web.Response(text=page, content_type="text/html", status=status,
                        headers={"Cache-Control": "no-store"})


def _hidden(csrf: str) -> str:
    return f"<input type=hidden name=csrf value='{escape(csrf)}'>"


def _button(action: str, label: str, csrf: str, **fields: str) -> str:
    extra = "".join(f"<input type=hidden name='{escape(k)}' value='{escape(v)}'>" for k, v in fields.items())
    return (f"<form class=inline method=post action='{escape(action)}'>{_hidden(csrf)}{extra}"
            f"<button>{escape(label)}</button></form>")


def _error(message: str) -> str:
    return f"<p class=error>{escape(message)}</p>" if message else ""


def _when(ts: float | None) -> str:
    import datetime

    return "" if ts is None else datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M")


# --- Sign in and out ----------------------------------------------------------------------------

def _sign_in_page(message: str = "", status: int = 200) -> web.Response:
    return _html("Sign in to administration", _error(message) +
                 "<form method=post action='/admin/sign_in'>"
                 "<p><label>Username or e-mail <input name=login autocomplete=username required></label></p>"
                 "<p><label>Password <input name=password type=password autocomplete=current-password "
                 "required></label></p><p><button>Sign in</button></p></form>", nav=False, status=status)


@routes.get("/admin/sign_in")
async def sign_in_form(request: web.Request) -> web.Response:
    return _sign_in_page()


@routes.post("/admin/sign_in")
async def sign_in(request: web.Request) -> web.Response:
    # No CSRF token here: there is no session yet to protect, and SameSite=Lax keeps other sites'
    # posts from carrying one.
    rt = request.app[RUNTIME]
    form = await request.post()
    login, password = str(form.get("login") or "").strip().lstrip("@"), str(form.get("password") or "")
    async with rt.db.read() as conn:
        found = await accounts_store.user_by_login(conn, login) if login else None
        account = await accounts_store.get(conn, found[0].account_id) if found else None
        approved = await store.user_approved(conn, found[0].id) if found else False
    stored = found[1] if found else None
    matches = await asyncio.to_thread(accounts_store.check_password, password, stored) if stored else False
    if not (found and matches and account and approved):
        return _sign_in_page("Wrong username or password.", 401)
    user = found[0]
    if not user.admin or user.disabled or account.suspended_at is not None:
        return _sign_in_page("This account may not use the administration pages.", 403)
    response = web.HTTPSeeOther("/admin/reports")
    _set_cookie(rt, response, COOKIE, _session_value(rt, user.id), SESSION_SECONDS)
    raise response


@routes.post("/admin/sign_out")
async def sign_out(request: web.Request) -> web.Response:
    account = await _admin(request)
    await _form(request, account)
    response = web.HTTPSeeOther("/admin/sign_in")
    response.del_cookie(COOKIE, path="/")
    raise response


@routes.get("/admin")
async def index(request: web.Request) -> web.Response:
    await _admin(request)
    raise web.HTTPSeeOther("/admin/reports")


# --- Reports ------------------------------------------------------------------------------------

@routes.get("/admin/reports")
async def reports_page(request: web.Request) -> web.Response:
    await _admin(request)
    rt = request.app[RUNTIME]
    csrf = _csrf(rt, request)
    show_resolved = request.query.get("resolved") == "1"
    found = await moderation.list_reports(rt, resolved=show_resolved)
    async with rt.db.read() as conn:
        people = await accounts_store.get_many(conn, [r.account_id for r in found] +
                                               [r.target_account_id for r in found])
    rows = []
    for r in found:
        reporter, target = people.get(r.account_id), people.get(r.target_account_id)
        action = (_button(f"/admin/reports/{r.id}/reopen", "Reopen", csrf) if r.resolved
                  else _button(f"/admin/reports/{r.id}/resolve", "Resolve", csrf))
        rows.append(f"<tr><td>{r.id}</td><td>{escape(_when(r.created_at))}</td>"
                    f"<td>{escape(target.full_acct(rt.config.domain) if target else '?')}</td>"
                    f"<td>{escape(reporter.full_acct(rt.config.domain) if reporter else '?')}</td>"
                    f"<td>{escape(r.category)}</td><td>{escape(r.comment)}</td><td>{len(r.status_ids)}</td>"
                    f"<td>{action}</td></tr>")
    other = ("<a href='/admin/reports'>Unresolved reports</a>" if show_resolved
             else "<a href='/admin/reports?resolved=1'>Resolved reports</a>")
    table = ("<table><tr><th>#</th><th>When</th><th>Reported</th><th>By</th><th>Category</th><th>Comment</th>"
             "<th>Posts</th><th></th></tr>" + "".join(rows) + "</table>") if rows else "<p>No reports.</p>"
    return _html("Resolved reports" if show_resolved else "Reports", f"<p>{other}</p>{table}", csrf=csrf)


@routes.post("/admin/reports/{id:\\d+}/{action:(resolve|reopen)}")
async def report_action(request: web.Request) -> web.Response:
    account = await _admin(request)
    await _form(request, account)
    rt = request.app[RUNTIME]
    report_id = int(request.match_info["id"])
    try:
        if request.match_info["action"] == "resolve":
            await moderation.resolve_report(rt, report_id, account)
        else:
            await moderation.reopen_report(rt, report_id, account)
    except ServiceError as err:
        raise web.HTTPNotFound(text=err.message) from None
    raise web.HTTPSeeOther("/admin/reports")


# --- Domains ------------------------------------------------------------------------------------

@routes.get("/admin/domains")
async def domains_page(request: web.Request, message: str = "") -> web.Response:
    await _admin(request)
    rt = request.app[RUNTIME]
    csrf = _csrf(rt, request)
    blocks = await moderation.list_domain_blocks(rt)
    allows = await moderation.list_domain_allows(rt)
    block_rows = "".join(
        f"<tr><td>{escape(b.domain)}</td><td>{escape(b.severity)}</td><td>{'yes' if b.reject_media else ''}</td>"
        f"<td>{escape(b.public_comment)}</td><td>{escape(b.private_comment)}</td>"
        f"<td>{_button('/admin/domains/unblock', 'Unblock', csrf, domain=b.domain)}</td></tr>" for b in blocks)
    allow_rows = "".join(
        f"<tr><td>{escape(a.domain)}</td>"
        f"<td>{_button('/admin/domains/disallow', 'Remove', csrf, domain=a.domain)}</td></tr>" for a in allows)
    body = (_error(message) + f"<p>Federation mode: <strong>{escape(rt.config.federation_mode)}</strong></p>"
            "<h2>Blocked domains</h2><table><tr><th>Domain</th><th>Severity</th><th>Reject media</th>"
            "<th>Public comment</th><th>Private comment</th><th></th></tr>" + block_rows + "</table>"
            "<form method=post action='/admin/domains/block'>" + _hidden(csrf) +
            "<p><label>Domain <input name=domain required></label> <label>Severity <select name=severity>"
            "<option value=suspend>suspend</option><option value=silence>silence</option></select></label> "
            "<label><input type=checkbox name=reject_media value=1> reject media</label></p>"
            "<p><label>Public comment <input name=public_comment></label> "
            "<label>Private comment <input name=private_comment></label> <button>Block</button></p></form>"
            "<h2>Allowed domains</h2><table><tr><th>Domain</th><th></th></tr>" + allow_rows + "</table>"
            "<form method=post action='/admin/domains/allow'>" + _hidden(csrf) +
            "<p><label>Domain <input name=domain required></label> <button>Allow</button></p></form>")
    return _html("Domains", body, csrf=csrf, status=422 if message else 200)


@routes.post("/admin/domains/{action:(block|unblock|allow|disallow)}")
async def domain_action(request: web.Request) -> web.Response:
    account = await _admin(request)
    form = await _form(request, account)
    rt = request.app[RUNTIME]
    domain = form.get("domain", "")
    try:
        action = request.match_info["action"]
        if action == "block":
            await moderation.block_domain(rt, domain, form.get("severity") or "suspend",
                                          reject_media=form.get("reject_media") == "1",
                                          public_comment=form.get("public_comment", ""),
                                          private_comment=form.get("private_comment", ""))
        elif action == "unblock":
            await moderation.unblock_domain(rt, domain)
        elif action == "allow":
            await moderation.allow_domain(rt, domain)
        else:
            await moderation.disallow_domain(rt, domain)
    except ServiceError as err:
        return await domains_page(request, err.message)
    raise web.HTTPSeeOther("/admin/domains")


# --- Accounts -----------------------------------------------------------------------------------

ACCOUNT_ACTIONS = {
    "suspend": moderation.suspend_account, "unsuspend": moderation.unsuspend_account,
    "silence": moderation.silence_account, "unsilence": moderation.unsilence_account,
    "disable": moderation.disable_login, "enable": moderation.enable_login,
    "approve": moderation.approve_account,
}


@routes.get("/admin/accounts")
async def accounts_page(request: web.Request) -> web.Response:
    admin = await _admin(request)
    rt = request.app[RUNTIME]
    csrf = _csrf(rt, request)
    origin = request.query.get("origin") if request.query.get("origin") in ("local", "remote") else None
    status = request.query.get("status")
    status = status if status in ("active", "pending", "disabled", "silenced", "suspended") else None
    username = request.query.get("username") or None
    async with rt.db.read() as conn:
        found = await store.admin_accounts(conn, origin=origin, status=status, username=username, limit=200,
                                           include_instance_actor=rt.instance_account_id)
        users = await store.users_of(conn, [a.id for a in found])
    rows = []
    for a in found:
        user = users.get(a.id)
        state = []
        if user and not user.approved:
            state.append("pending")
        if user and user.disabled:
            state.append("disabled")
        if a.silenced_at:
            state.append("silenced")
        if a.suspended_at:
            state.append("suspended")
        buttons = []
        if a.id != admin.id:
            buttons.append(("unsuspend", "Unsuspend") if a.suspended_at else ("suspend", "Suspend"))
            buttons.append(("unsilence", "Unsilence") if a.silenced_at else ("silence", "Silence"))
            if user:
                buttons.append(("enable", "Enable login") if user.disabled else ("disable", "Disable login"))
                if not user.approved:
                    buttons.append(("approve", "Approve"))
        actions = " ".join(_button(f"/admin/accounts/{a.id}/{verb}", label, csrf) for verb, label in buttons)
        rows.append(f"<tr><td>{escape(a.full_acct(rt.config.domain))}</td>"
                    f"<td>{escape(a.display_name)}</td><td>{escape(user.email or '') if user else ''}</td>"
                    f"<td>{escape(', '.join(state) or 'active')}</td><td>{actions}</td></tr>")
    search = ("<form method=get action='/admin/accounts'><label>Username <input name=username "
              f"value='{escape(username or '')}'></label> <label>Origin <select name=origin>"
              "<option value=''>any</option><option value=local>local</option><option value=remote>remote"
              "</option></select></label> <label>Status <select name=status><option value=''>any</option>"
              + "".join(f"<option>{s}</option>" for s in ("active", "pending", "disabled", "silenced",
                                                         "suspended"))
              + "</select></label> <button>Search</button></form>")
    table = ("<table><tr><th>Account</th><th>Name</th><th>E-mail</th><th>State</th><th></th></tr>"
             + "".join(rows) + "</table>") if rows else "<p>No accounts.</p>"
    return _html("Accounts", search + table, csrf=csrf)


@routes.post("/admin/accounts/{id:\\d+}/{action}")
async def account_action(request: web.Request) -> web.Response:
    admin = await _admin(request)
    await _form(request, admin)
    rt = request.app[RUNTIME]
    case = ACCOUNT_ACTIONS.get(request.match_info["action"])
    account_id = int(request.match_info["id"])
    if case is None:
        raise web.HTTPNotFound()
    if account_id == admin.id:
        raise web.HTTPForbidden(text="You cannot do that to yourself")
    try:
        await case(rt, account_id)
    except ServiceError as err:
        raise web.HTTPUnprocessableEntity(text=err.message) from None
    raise web.HTTPSeeOther("/admin/accounts")


# --- Sign-up with an invite ---------------------------------------------------------------------

def _invite_form(code: str, csrf: str, message: str = "", values: dict | None = None,
                 status: int = 200) -> web.Response:
    values = values or {}
    body = (_error(message) + f"<form method=post action='/invite/{escape(code)}'>{_hidden(csrf)}"
            f"<p><label>Username <input name=username required value='{escape(values.get('username', ''))}'>"
            f"</label></p><p><label>E-mail <input name=email type=email required "
            f"value='{escape(values.get('email', ''))}'></label></p>"
            "<p><label>Password <input name=password type=password minlength=8 required "
            "autocomplete=new-password></label></p>"
            "<p><label><input type=checkbox name=agreement value=1 required> I agree to this node's rules"
            "</label></p><p><button>Sign up</button></p></form>")
    return _html("Sign up", body, nav=False, status=status)


@routes.get("/invite/{code}")
async def invite_page(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    code = request.match_info["code"]
    if await registrations.check_invite(rt, code) is None:
        return _html("Invite not valid", "<p>This invite has expired or been used up.</p>", nav=False, status=404)
    csrf = request.cookies.get(ANON_COOKIE) or secrets.token_urlsafe(24)
    response = _invite_form(code, csrf)
    _set_cookie(rt, response, ANON_COOKIE, csrf, 3600)
    return response


@routes.post("/invite/{code}")
async def invite_sign_up(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    code = request.match_info["code"]
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    cookie = request.cookies.get(ANON_COOKIE) or ""
    if not cookie or not hmac.compare_digest(form.get("csrf", ""), cookie):
        raise web.HTTPForbidden(text="invalid CSRF token")
    try:
        account, _ = await registrations.register(
            rt, username=form.get("username", "").strip(), email=form.get("email", "").strip(),
            password=form.get("password", ""), agreement=form.get("agreement") == "1", invite_code=code)
    except ServiceError as err:
        return _invite_form(code, cookie, err.message, form, status=422)
    return _html("Welcome", f"<p>Your account @{escape(account.username)}@{escape(rt.config.domain)} is ready. "
                            "Sign in with any Mastodon app.</p>", nav=False)
