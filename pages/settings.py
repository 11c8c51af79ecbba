"""A person's settings on the web: two-factor sign-in (TOTP with recovery codes), the password, and
the apps and web sessions that hold a token, each revocable. Every change goes through social/."""
from __future__ import annotations

import io

from aiohttp import web
from markupsafe import Markup

from backchannel.keys import RUNTIME
from federation.urls import ROUTES
from pages import session
from pages.people import page
from pages.templating import path
from social import migration, sign_in, two_factor
from social.errors import ServiceError, Unprocessable

routes = web.RouteTableDef()
SECTIONS = (("settings_profile", "Profile"), ("settings_two_factor", "Two-factor sign-in"), ("settings_password", "Password"),
            ("settings_applications", "Apps and sessions"), ("settings_import", "Export and import"),
            ("settings_migration", "Moving"))


def settings_page(request: web.Request, template: str, title: str, status: int = 200, **context: object) -> web.Response:
    return page(request, template, title, status, sections=SECTIONS, **context)


# --- Two-factor sign-in -------------------------------------------------------------------------

def qr_svg(text: str, label: str) -> Markup:
    """`text` as a QR code, drawn here as an SVG element (segno, pure Python): the page shows it with
    no script and no image request, so the CSP stays as it is. Light modules are filled, so a phone
    reads it on a dark page too. Imported here: only this page needs it."""
    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", xmldecl=False, svgns=True, omitsize=True, scale=1,
                                     border=4, dark="#000", light="#fff", svgclass="qr", lineclass=None)
    svg = out.getvalue().decode()
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="{}" '.format(Markup.escape(label)), 1))


def _setup_page(request: web.Request, rt, person: session.Person, secret: str, status: int = 200,  # noqa: ANN001
                **context: object) -> web.Response:
    uri = two_factor.provisioning_uri(rt, person.account, secret)
    return settings_page(request, "settings/two_factor_setup.html", "Two-factor sign-in", status, secret=secret,
                         uri=uri, qr=qr_svg(uri, "QR code of the key, for your authenticator app"), **context)


@routes.get(ROUTES.settings_two_factor.path)
async def two_factor_page(request: web.Request) -> web.Response:
    person = await session.require(request)
    rt = request.app[RUNTIME]
    return settings_page(request, "settings/two_factor.html", "Two-factor sign-in",
                     enabled=await two_factor.enabled(rt, person.user.id),
                     left=await two_factor.recovery_left(rt, person.user.id))


@routes.post(ROUTES.settings_two_factor.path)
async def two_factor_change(request: web.Request) -> web.Response:
    """step=setup: a new secret to add to an app; step=confirm: a code from it turns two-factor
    sign-in on and shows the recovery codes once; step=disable: a code turns it off."""
    person = await session.require(request)
    form = await session.form(request, person)
    rt = request.app[RUNTIME]
    step = form.get("step")
    title = "Two-factor sign-in"
    if step == "setup" or (step == "confirm" and not str(form.get("secret") or "")):
        return _setup_page(request, rt, person, two_factor.new_secret())
    if step == "confirm":
        secret = str(form.get("secret"))
        try:
            codes = await two_factor.enable(rt, person.user.id, secret, str(form.get("code") or ""))
        except ServiceError as err:
            return _setup_page(request, rt, person, secret, 422, error=err.message)
        return settings_page(request, "settings/recovery_codes.html", title, codes=codes)
    if step == "disable":
        try:
            await two_factor.disable(rt, person.user.id, str(form.get("code") or ""))
        except ServiceError as err:
            return settings_page(request, "settings/two_factor.html", title, 422, enabled=True, error=err.message,
                             left=await two_factor.recovery_left(rt, person.user.id))
        raise web.HTTPSeeOther(path("settings_two_factor"))
    raise web.HTTPBadRequest(text="unknown step")


# --- Password -----------------------------------------------------------------------------------

@routes.get(ROUTES.settings_password.path)
async def password_page(request: web.Request) -> web.Response:
    await session.require(request)
    return settings_page(request, "settings/password.html", "Password")


@routes.post(ROUTES.settings_password.path)
async def password_change(request: web.Request) -> web.Response:
    person = await session.require(request)
    form = await session.form(request, person)
    new = str(form.get("new_password") or "")
    try:
        if new != str(form.get("confirm_password") or ""):
            raise Unprocessable("The two new passwords differ.")
        await sign_in.change_password(request.app[RUNTIME], person.user, str(form.get("current_password") or ""), new)
    except ServiceError as err:
        return settings_page(request, "settings/password.html", "Password", 422, error=err.message)
    return settings_page(request, "settings/password.html", "Password", message="Your password is changed.")


# --- Apps and sessions --------------------------------------------------------------------------

@routes.get(ROUTES.settings_applications.path)
async def applications_page(request: web.Request) -> web.Response:
    person = await session.require(request)
    tokens = await sign_in.own_tokens(request.app[RUNTIME], person.account)
    return settings_page(request, "settings/applications.html", "Apps and sessions", tokens=tokens)


@routes.post(ROUTES.settings_applications.path)
async def applications_revoke(request: web.Request) -> web.Response:
    person = await session.require(request)
    form = await session.form(request, person)
    raw = str(form.get("token_id") or "")
    try:
        await sign_in.revoke_own_token(request.app[RUNTIME], person.account, int(raw) if raw.isdigit() else 0)
    except ServiceError as err:
        return settings_page(request, "settings/applications.html", "Apps and sessions", err.status, error=err.message,
                         tokens=await sign_in.own_tokens(request.app[RUNTIME], person.account))
    raise web.HTTPSeeOther(path("settings_applications"))


# --- Moving to or from another server -----------------------------------------------------------

@routes.get(ROUTES.settings_migration.path)
async def migration_page(request: web.Request) -> web.Response:
    person = await session.require(request)
    return settings_page(request, "settings/migration.html", "Moving", account=person.account)


@routes.post(ROUTES.settings_migration.path)
async def migration_change(request: web.Request) -> web.Response:
    """step=aliases (one address a line) | step=move (address, and the password again)."""
    person = await session.require(request)
    form = await session.form(request, person)
    rt = request.app[RUNTIME]
    account = person.account
    try:
        if form.get("step") == "aliases":
            account = await migration.set_aliases(rt, account, str(form.get("aliases") or "").split())
            message = "Saved."
        else:
            account = await migration.move_out(rt, account, person.user.id, str(form.get("password") or ""),
                                               str(form.get("target") or ""))
            message = "Your followers are moving to your new account."
    except ServiceError as err:
        return settings_page(request, "settings/migration.html", "Moving", err.status, account=account,
                             error=err.message)
    return settings_page(request, "settings/migration.html", "Moving", account=account, message=message)
