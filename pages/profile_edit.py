"""Settings → profile on the web: display name, bio, up to four fields, avatar and header (with a
preview, static/web.js), the locked, discoverable, indexable and bot flags, and the posting defaults
(who may see a new post, sensitive images, the language: update_credentials' `source[…]`). The form is read into
the same social.profile.ProfileChange the client API's update_credentials builds, so the one write
path stores it, renders the bio and queues the actor's `Update` to the followers' servers."""
from __future__ import annotations

from aiohttp import web

from backchannel.keys import RUNTIME
from federation.content import html_to_text
from federation.urls import ROUTES
from models.accounts import Account
from pages import session
from pages.settings import settings_page
from social import profile as profile_uc
from social.errors import ServiceError

routes = web.RouteTableDef()
TITLE = "Profile"
FLAGS = (("locked", "Approve followers by hand (a locked account)"),
         ("discoverable", "List me in the profile directory and in “who talks about…”"),
         ("indexable", "Let my public posts be found by search"),
         ("bot", "This account is a bot (it acts mostly by itself)"))


def _shown(account: Account, prefs, sent: profile_uc.ProfileChange | None = None) -> dict:  # noqa: ANN001
    """What the form shows: the stored profile as plain text, or what was just sent back."""
    if sent is None:
        sent = profile_uc.ProfileChange(
            display_name=account.display_name or "", note=html_to_text(account.note or ""),
            fields=[(str(f.get("name", "")), html_to_text(str(f.get("value", ""))))
                    for f in account.field_list() if isinstance(f, dict)],
            privacy=prefs.privacy, sensitive=prefs.sensitive, language=prefs.language or "",
            **{flag: bool(getattr(account, flag)) for flag, _ in FLAGS})
    fields = ((sent.fields or []) + [("", "")] * profile_uc.MAX_FIELDS)[:profile_uc.MAX_FIELDS]
    return {"account": account, "sent": sent, "fields": fields, "flags": FLAGS, "privacies": PRIVACIES,
            "limits": {"name": profile_uc.DISPLAY_NAME_LIMIT, "note": profile_uc.NOTE_LIMIT,
                       "field": profile_uc.FIELD_VALUE_LIMIT}}


def _image(form, name: str, limit: int) -> bytes | None:  # noqa: ANN001
    upload = form.get(name)
    if not isinstance(upload, web.FileField):
        return None
    return upload.file.read(limit + 1) or None


PRIVACIES = (("public", "Everyone"), ("unlisted", "Everyone, not listed"), ("private", "Followers only"))


def change_of(form, limit: int) -> profile_uc.ProfileChange:  # noqa: ANN001
    """The whole form as one change: an unticked box is a flag turned off, an empty row no field."""
    fields = [(str(form.get(f"field_name_{i}") or "").strip(), str(form.get(f"field_value_{i}") or "").strip())
              for i in range(profile_uc.MAX_FIELDS)]
    return profile_uc.ProfileChange(
        display_name=str(form.get("display_name") or "").strip(), note=str(form.get("note") or ""),
        fields=[(n, v) for n, v in fields if n or v],
        avatar=_image(form, "avatar", limit), header=_image(form, "header", limit),
        privacy=str(form.get("privacy") or "public"), sensitive=form.get("sensitive") == "1",
        language=str(form.get("language") or "").strip().lower(),
        **{flag: form.get(flag) == "1" for flag, _ in FLAGS})


@routes.get(ROUTES.settings_profile.path)
async def profile_page(request: web.Request) -> web.Response:
    person = await session.require(request)
    prefs = await profile_uc.posting_defaults(request.app[RUNTIME], person.account.id)
    return settings_page(request, "settings/profile.html", TITLE, **_shown(person.account, prefs))


@routes.post(ROUTES.settings_profile.path)
async def profile_change(request: web.Request) -> web.Response:
    person = await session.require(request)
    form = await session.form(request, person)
    rt = request.app[RUNTIME]
    change = change_of(form, rt.config.max_media_bytes)
    try:
        account = await profile_uc.update_profile(rt, person.account, change)
        for which in ("avatar", "header"):
            if form.get(f"remove_{which}") == "1" and getattr(change, which) is None:
                account = await profile_uc.remove_image(rt, account, which)
    except ServiceError as err:
        return settings_page(request, "settings/profile.html", TITLE, err.status, error=err.message,
                             **_shown(person.account, None, change))
    prefs = await profile_uc.posting_defaults(rt, account.id)
    return settings_page(request, "settings/profile.html", TITLE, message="Your profile is saved.",
                         **_shown(account, prefs))
