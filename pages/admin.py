"""Admin pages at /admin, and the invite sign-up page at /invite/{code}.

Signing in sets a session cookie (HttpOnly, SameSite=Lax, Secure on https) holding the user id, an
expiry and an HMAC made with the node's session key (in the database, so every process accepts it:
backchannel.secrets); every request re-reads the user, so a user who is no longer an admin (or is
disabled) is out at once. Every form carries a CSRF token
derived from the session (or, for the anonymous sign-up form, a random cookie). Everything shown is
escaped. The actions call the same social.moderation use cases as the CLI and the admin API.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from aiohttp import web

from backchannel.keys import RUNTIME
from federation.runtime import Runtime
from federation.urls import ROUTES
from models import accounts as accounts_store
from models import dashboard, queue_stats
from models import moderation as store
from models import statuses as statuses_store
from models.accounts import Account, User
from pages import cards, charts
from pages.templating import path, render
from social import admin_accounts, moderation, registrations
from social import sign_in as sign_in_uc
from social.errors import ServiceError, Unprocessable

routes = web.RouteTableDef()
COOKIE = "backchannel_admin"
ANON_COOKIE = "backchannel_form"
SESSION_SECONDS = 12 * 3600
STAFF = web.RequestKey("admin_staff", User)  # the signed-in admin or moderator


# --- Sessions and CSRF --------------------------------------------------------------------------

def _mac(rt: Runtime, message: str) -> str:
    return hmac.new(rt.session_secret, message.encode(), hashlib.sha256).hexdigest()


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


def start_session(rt: Runtime, response: web.StreamResponse, user_id: int) -> None:
    """Sign `user_id` in to the admin pages (password here, or single sign-on in pages/sso.py)."""
    _set_cookie(rt, response, COOKIE, _session_value(rt, user_id), SESSION_SECONDS)


async def _staff(request: web.Request, *, admins_only: bool = False) -> Account:
    """The signed-in admin or moderator (a moderator gets 403 where `admins_only`: domains and
    federation); anyone else is sent to the sign-in form."""
    rt = request.app[RUNTIME]
    user_id = _session_user_id(rt, request.cookies.get(COOKIE))
    if user_id is not None:
        async with rt.db.read() as conn:
            user = await accounts_store.user_by_id(conn, user_id)
            account = await accounts_store.get(conn, user.account_id) if user else None
        if user and account and user.staff and not user.disabled and account.suspended_at is None:
            request[STAFF] = user
            if admins_only and not user.admin:
                raise web.HTTPForbidden(text="Only admins manage domains and federation", headers=NO_STORE)
            return account
    raise web.HTTPSeeOther(path("admin_sign_in"))


async def _admin(request: web.Request) -> Account:
    return await _staff(request, admins_only=True)


async def _form(request: web.Request, account: Account) -> dict[str, str]:
    """A POSTed form whose CSRF token matches this session's."""
    rt = request.app[RUNTIME]
    form = await request.post()
    token = form.get("csrf")
    if not isinstance(token, str) or not hmac.compare_digest(token, _csrf(rt, request)):
        raise web.HTTPForbidden(text="invalid CSRF token")
    return {k: v for k, v in form.items() if isinstance(v, str)}


# --- HTML ---------------------------------------------------------------------------------------

NO_STORE = {"Cache-Control": "no-store"}


def _page(request: web.Request, template: str, title: str, status: int = 200, **context: object) -> web.Response:
    staff = request.get(STAFF)
    return render(request, template, {"title": title, "is_admin": staff is None or staff.admin, **context},
                  status=status, headers=NO_STORE)


# --- Sign in and out ----------------------------------------------------------------------------

def _sign_in_page(request: web.Request, message: str = "", status: int = 200, **context: object) -> web.Response:
    return _page(request, "admin/sign_in.html", "Sign in to administration", status, error=message, **context)


@routes.get(ROUTES.admin_sign_in.path)
async def sign_in_form(request: web.Request) -> web.Response:
    return _sign_in_page(request)


@routes.post(ROUTES.admin_sign_in.path)
async def sign_in(request: web.Request) -> web.Response:
    # No CSRF token here: there is no session yet to protect, and SameSite=Lax keeps other sites'
    # posts from carrying one.
    rt = request.app[RUNTIME]
    if rt.config.sso_only:
        return _sign_in_page(request, f"Password sign-in is turned off: sign in with {rt.config.oidc_name}.", 403)
    form = await request.post()
    signed = await sign_in_uc.check(rt, str(form.get("login") or ""), str(form.get("password") or ""),
                                    str(form.get("otp") or ""))
    if signed.user is None or signed.account is None:
        return _sign_in_page(request, signed.problem or sign_in_uc.WRONG, 401, code_needed=signed.code_needed,
                             login=str(form.get("login") or ""))
    user, account = signed.user, signed.account
    if not user.staff or user.disabled or account.suspended_at is not None:
        return _sign_in_page(request, "This account may not use the administration pages.", 403)
    response = web.HTTPSeeOther(path("admin_dashboard"))
    start_session(rt, response, user.id)
    raise response


@routes.post(ROUTES.admin_sign_out.path)
async def sign_out(request: web.Request) -> web.Response:
    account = await _staff(request)
    await _form(request, account)
    response = web.HTTPSeeOther(path("admin_sign_in"))
    response.del_cookie(COOKIE, path="/")
    raise response


@routes.get(ROUTES.admin.path)
async def index(request: web.Request) -> web.Response:
    await _staff(request)
    raise web.HTTPSeeOther(path("admin_dashboard"))


# --- Dashboard ----------------------------------------------------------------------------------

DASHBOARD_DAYS = 14
ACTIVE_NOTE = ("Active people: people of this node who used it that day: signed in, used an app or the web, "
               "or posted, boosted, favourited or followed.")
OUTCOMES = (("delivered", "delivered"), ("retry", "failed, retrying"), ("dropped", "given up"))


@routes.get(ROUTES.admin_dashboard.path)
async def dashboard_page(request: web.Request) -> web.Response:
    """The last two weeks as charts drawn here (pages/charts.py), and the queues as they are now."""
    await _staff(request)
    rt = request.app[RUNTIME]
    today = dashboard.day_of(time.time())
    days = list(range(today - DASHBOARD_DAYS + 1, today + 1))
    async with rt.db.read() as conn:
        posts = await dashboard.posts_per_day(conn, days[0])
        active = await dashboard.active_per_day(conn, days[0])
        delivered = await dashboard.deliveries_per_day(conn, days[0])
        failing = await dashboard.failing_domains(conn, days[0])
        queues = await queue_stats.stats(conn)
    labels = [time.strftime("%d %b", time.gmtime(day * dashboard.DAY)) for day in days]
    titles = ("New posts and active people per day", "Deliveries per day by outcome",
              "The ten domains with most failed deliveries (two weeks)", "Queue depths now (waiting rows)")
    activity = charts.bars("activity", titles[0], labels, [
        charts.Series("posts", [posts.get(d, (0, 0))[0] for d in days]),
        charts.Series("active people", [active.get(d, 0) for d in days])])
    outcomes = charts.bars("deliveries", titles[1], labels, [
        charts.Series(label, [delivered.get(d, {}).get(key, 0) for d in days]) for key, label in OUTCOMES],
        stacked=True)
    domains = charts.horizontal("failing", titles[2], failing)
    depths = charts.horizontal("queues", titles[3], [(q.name, q.pending) for q in queues])
    return _page(request, "admin/dashboard.html", "Dashboard", csrf=_csrf(rt, request),
                 charts=list(zip(titles, [activity, outcomes, domains, depths])), queues=queues,
                 active_note=ACTIVE_NOTE)


# --- Reports ------------------------------------------------------------------------------------

@routes.get(ROUTES.admin_reports.path)
async def reports_page(request: web.Request) -> web.Response:
    await _staff(request)
    rt = request.app[RUNTIME]
    csrf = _csrf(rt, request)
    show_resolved = request.query.get("resolved") == "1"
    found = await moderation.list_reports(rt, resolved=show_resolved)
    async with rt.db.read() as conn:
        people = await accounts_store.get_many(conn, [r.account_id for r in found] +
                                               [r.target_account_id for r in found])

    def acct(account_id: int) -> str:
        person = people.get(account_id)
        return person.full_acct(rt.config.domain) if person else "?"
    rows = [{"report": r, "target": acct(r.target_account_id), "reporter": acct(r.account_id)} for r in found]
    return _page(request, "admin/reports.html", "Resolved reports" if show_resolved else "Reports",
                 csrf=csrf, rows=rows, show_resolved=show_resolved)


@routes.get(ROUTES.admin_report.path)
async def report_page(request: web.Request) -> web.Response:
    """One report: who, why, the reported posts as they are (whatever their visibility), and the
    actions on the report and on the reported account."""
    admin = await _staff(request)
    rt = request.app[RUNTIME]
    try:
        report = await moderation.get_report(rt, int(request.match_info["id"]))
    except ServiceError:
        raise web.HTTPNotFound() from None
    async with rt.db.read() as conn:
        people = await accounts_store.get_many(conn, [report.account_id, report.target_account_id])
        found = await statuses_store.get_many(conn, report.status_ids)
        posts = await cards.cards_of(conn, rt, None, [found[i] for i in report.status_ids if i in found],
                                     moderator=True)
        users = await store.users_of(conn, [report.target_account_id])
    target = people.get(report.target_account_id)
    row = _account_row(rt, admin, request[STAFF], target, users.get(report.target_account_id)) if target else None
    return _page(request, "admin/report.html", f"Report #{report.id}", csrf=_csrf(rt, request), report=report,
                 reporter=people.get(report.account_id), target=target, row=row, posts=posts,
                 gone=len(report.status_ids) - len(posts))


@routes.post(ROUTES.admin_report_action.path)
async def report_action(request: web.Request) -> web.Response:
    account = await _staff(request)
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
    raise web.HTTPSeeOther(path("admin_reports"))


# --- Domains ------------------------------------------------------------------------------------

@routes.get(ROUTES.admin_domains.path)
async def domains_page(request: web.Request, message: str = "") -> web.Response:
    await _admin(request)
    rt = request.app[RUNTIME]
    csrf = _csrf(rt, request)
    blocks = await moderation.list_domain_blocks(rt)
    allows = await moderation.list_domain_allows(rt)
    return _page(request, "admin/domains.html", "Domains", 422 if message else 200, csrf=csrf, error=message,
                 blocks=blocks, allows=allows, mode=await rt.policy.mode())


@routes.post(ROUTES.admin_domain_action.path)
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
        elif action == "mode":
            await moderation.set_federation_mode(rt, form.get("mode", ""))
        else:
            await moderation.disallow_domain(rt, domain)
    except ServiceError as err:
        return await domains_page(request, err.message)
    raise web.HTTPSeeOther(path("admin_domains"))


# --- Accounts -----------------------------------------------------------------------------------

ACCOUNT_ACTIONS = {
    "suspend": moderation.suspend_account, "unsuspend": moderation.unsuspend_account,
    "silence": moderation.silence_account, "unsilence": moderation.unsilence_account,
    "disable": moderation.disable_login, "enable": moderation.enable_login,
    "sensitive": moderation.sensitize_account, "unsensitive": moderation.unsensitize_account,
    "approve": moderation.approve_account,
}
ACCOUNT_STATES = ("active", "pending", "disabled", "silenced", "suspended")


@routes.get(ROUTES.admin_accounts.path)
async def accounts_page(request: web.Request) -> web.Response:
    admin = await _staff(request)
    rt = request.app[RUNTIME]
    csrf = _csrf(rt, request)
    origin = request.query.get("origin") if request.query.get("origin") in ("local", "remote") else None
    status = request.query.get("status")
    status = status if status in ACCOUNT_STATES else None
    username = request.query.get("username") or None
    async with rt.db.read() as conn:
        found = await store.admin_accounts(conn, origin=origin, status=status, username=username, limit=200,
                                           include_instance_actor=rt.instance_account_id)
        users = await store.users_of(conn, [a.id for a in found])
    rows = [_account_row(rt, admin, request[STAFF], a, users.get(a.id)) for a in found]
    return _page(request, "admin/accounts.html", "Accounts", csrf=csrf, rows=rows, states=ACCOUNT_STATES,
                 origin=origin, state=status, username=username)


def _account_row(rt: Runtime, admin: Account, staff: User, a: Account, user) -> dict:  # noqa: ANN001
    state = []
    if user and not user.approved:
        state.append("pending")
    if user and user.disabled:
        state.append("disabled")
    if a.silenced_at:
        state.append("silenced")
    if a.suspended_at:
        state.append("suspended")
    if a.sensitized_at:
        state.append("sensitive")
    actions = []
    if a.id != admin.id and moderation.may_moderate(staff, user):
        actions.append(("unsuspend", "Unsuspend") if a.suspended_at else ("suspend", "Suspend"))
        actions.append(("unsilence", "Unsilence") if a.silenced_at else ("silence", "Silence"))
        actions.append(("unsensitive", "Unmark sensitive") if a.sensitized_at else ("sensitive", "Mark sensitive"))
        if user:
            actions.append(("enable", "Enable login") if user.disabled else ("disable", "Disable login"))
            if not user.approved:
                actions.append(("approve", "Approve"))
            if staff.admin:
                actions.append(("reset_password", "Reset password"))
                actions.append(("make_user", "Make a user") if user.admin else ("make_admin", "Make an admin"))
    return {"account": a, "acct": a.full_acct(rt.config.domain), "email": user.email or "" if user else "",
            "state": ", ".join(state) or "active", "actions": actions}


@routes.post(ROUTES.admin_account_action.path)
async def account_action(request: web.Request) -> web.Response:
    admin = await _staff(request)
    form = await _form(request, admin)
    rt = request.app[RUNTIME]
    action = request.match_info["action"]
    case = ACCOUNT_ACTIONS.get(action)
    account_id = int(request.match_info["id"])
    if case is None and action not in USER_ACTIONS:
        raise web.HTTPNotFound()
    if account_id == admin.id:
        raise web.HTTPForbidden(text="You cannot do that to yourself")
    if action in USER_ACTIONS and not request[STAFF].admin:
        raise web.HTTPForbidden(text="Only admins reset passwords and change roles", headers=NO_STORE)
    try:
        await moderation.check_may_moderate(rt, request[STAFF], account_id)
        if action in USER_ACTIONS:
            return await _user_action(request, action, account_id)
        await case(rt, account_id)
    except ServiceError as err:
        refused = web.HTTPForbidden if err.status == 403 else web.HTTPUnprocessableEntity
        raise refused(text=err.message) from None
    raise web.HTTPSeeOther(_back(form, path("admin_accounts")))


USER_ACTIONS = ("reset_password", "make_admin", "make_user")


async def _user_action(request: web.Request, action: str, account_id: int) -> web.Response:
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        target = await accounts_store.get(conn, account_id)
    if target is None or target.domain:
        raise web.HTTPNotFound()
    if action == "reset_password":
        # A new random password, shown once to the admin to hand over.
        password = secrets.token_urlsafe(12)
        await admin_accounts.reset_password(rt, target.username, password)
        return _page(request, "page.html", "Password reset",
                     message=f"The new password of @{target.username} is {password} (shown only now).")
    await admin_accounts.set_role(rt, target.username, "admin" if action == "make_admin" else "user")
    raise web.HTTPSeeOther(path("admin_accounts"))


def _back(form: dict[str, str], default: str) -> str:
    target = form.get("next", "")
    return target if target.startswith("/admin/") and "//" not in target else default


# --- Invites ------------------------------------------------------------------------------------

@routes.get(ROUTES.admin_invites.path)
async def invites_page(request: web.Request, message: str = "") -> web.Response:
    await _admin(request)
    rt = request.app[RUNTIME]
    invites = await registrations.list_invites(rt)
    return _page(request, "admin/invites.html", "Invites", 422 if message else 200, csrf=_csrf(rt, request),
                 error=message, invites=invites, now=time.time(),
                 links={i.code: rt.urls.base + path("invite", code=i.code) for i in invites})


@routes.post(ROUTES.admin_invites.path)
async def invite_action(request: web.Request) -> web.Response:
    """action=create (max_uses, expires_in_hours; empty: unlimited) | revoke (code)."""
    admin = await _admin(request)
    form = await _form(request, admin)
    rt = request.app[RUNTIME]
    try:
        if form.get("action") == "revoke":
            await registrations.revoke_invite(rt, form.get("code", ""))
        else:
            uses, hours = form.get("max_uses", "").strip(), form.get("expires_in_hours", "").strip()
            if (uses and not uses.isdigit()) or (hours and not hours.replace(".", "", 1).isdigit()):
                raise Unprocessable("Uses and hours are numbers.")
            await registrations.create_invite(rt, created_by=admin.id, max_uses=int(uses) if uses else None,
                                              expires_in_hours=float(hours) if hours else None)
    except ServiceError as err:
        return await invites_page(request, err.message)
    raise web.HTTPSeeOther(path("admin_invites"))


# --- Sign-up with an invite ---------------------------------------------------------------------

def _invite_form(request: web.Request, code: str, csrf: str, message: str = "", values: dict | None = None,
                 status: int = 200) -> web.Response:
    return _page(request, "invite.html", "Sign up", status, code=code, csrf=csrf, error=message,
                 values=values or {})


@routes.get(ROUTES.invite.path)
async def invite_page(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    code = request.match_info["code"]
    if await registrations.check_invite(rt, code) is None:
        return _page(request, "page.html", "Invite not valid", 404,
                     message="This invite has expired or been used up.")
    csrf = request.cookies.get(ANON_COOKIE) or secrets.token_urlsafe(24)
    response = _invite_form(request, code, csrf)
    _set_cookie(rt, response, ANON_COOKIE, csrf, 3600)
    return response


@routes.post(ROUTES.invite.path)
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
        return _invite_form(request, code, cookie, err.message, form, status=422)
    return _page(request, "page.html", "Welcome", message=f"Your account @{account.username}@{rt.config.domain} "
                 "is ready. Sign in here in your browser, or with any Mastodon app.",
                 link=(path("web_sign_in"), "Sign in"))
