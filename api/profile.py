"""One's own profile (/api/v1/accounts/update_credentials, /api/v1/profile/…) and what a person
keeps about others: removed followers, private notes, endorsements, familiar followers."""
from __future__ import annotations

import re

from aiohttp import BodyPartReader, web

from api import auth, lookup, pagination
from api.media import FIELD_LIMIT, _read_part
from api.pagination import MAX_ACCOUNTS_LIMIT
from api.params import BadRequest, Params, path_id
from api.entities.accounts import account_entities, account_entity, credential_account_entity, relationship_entity
from backchannel.keys import RUNTIME
from models import accounts as accounts_store
from models import profile as profile_store
from social import profile as profile_uc
from social.errors import Unprocessable
from social.media import TooLarge

IMAGE_PARTS = ("avatar", "header")
MAX_TEXT_PARTS = 64
_FIELD_KEY = re.compile(r"^fields_attributes\[(\d+)\]\[(name|value)\]$")


async def _read_multipart(request: web.Request, limit: int) -> tuple[dict[str, list], dict[str, bytes]]:
    """Text fields and the avatar/header files of a multipart body, streamed with size caps."""
    if request.content_length is not None and request.content_length > 2 * limit + MAX_TEXT_PARTS * FIELD_LIMIT:
        raise TooLarge("File is too large")
    values: dict[str, list] = {}
    files: dict[str, bytes] = {}
    texts = 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or not part.name:
                continue
            if part.name in IMAGE_PARTS and part.name not in files:
                files[part.name] = await _read_part(part, limit)
            elif texts < MAX_TEXT_PARTS and part.filename is None:
                texts += 1
                name = part.name[:-2] if part.name.endswith("[]") else part.name
                values.setdefault(name, []).append((await _read_part(part, FIELD_LIMIT)).decode("utf-8", "replace"))
            else:
                await part.release()
    except (ValueError, AssertionError) as err:
        raise BadRequest(f"Invalid multipart body: {err}") from None
    return values, files


def _nested(params: Params, group: str, key: str) -> object:
    """`group[key]` from a form, or {"group": {"key": …}} from JSON."""
    found = params.raw(group)
    if isinstance(found, dict):
        return found.get(key)
    return params.raw(f"{group}[{key}]")


def _fields(params: Params, flat: dict[str, list]) -> list[tuple[str, str]] | None:
    """fields_attributes[n][name|value] (forms), or a JSON list or {"0": {…}} object; None when absent."""
    rows: dict[int, dict[str, str]] = {}
    raw = params.raw("fields_attributes")
    if isinstance(raw, list):
        rows = {i: item for i, item in enumerate(raw) if isinstance(item, dict)}
    elif isinstance(raw, dict):
        for index, item in raw.items():
            if str(index).isdigit() and isinstance(item, dict):
                rows[int(index)] = item
    else:
        for key, found in flat.items():
            match = _FIELD_KEY.match(key)
            if match and found:
                rows.setdefault(int(match.group(1)), {})[match.group(2)] = found[-1]
        if not rows and "fields_attributes" not in flat:
            return None
    if len(rows) > profile_uc.MAX_FIELDS:
        raise Unprocessable(f"Validation failed: Fields is too long (maximum is {profile_uc.MAX_FIELDS})")
    return [(str(rows[i].get("name") or ""), str(rows[i].get("value") or "")) for i in sorted(rows)]


def _opt_bool(params: Params, key: str) -> bool | None:
    return params.bool(key) if params.str(key) is not None else None


def _opt_nested_bool(params: Params, group: str, key: str) -> bool | None:
    value = _nested(params, group, key)
    if value is None:
        return None
    return Params({"v": [value]}).bool("v")


async def update_credentials(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:accounts")
    rt = request.app[RUNTIME]
    files: dict[str, bytes] = {}
    if request.content_type == "multipart/form-data":
        flat, files = await _read_multipart(request, rt.config.max_media_bytes)
        query = {k: [v] for k, v in request.query.items()}
        params = Params(query | flat)
    else:
        params = await Params.read(request)
        flat = dict(params._values)  # noqa: SLF001 - the form's own keys, for fields_attributes[n][…]
    privacy = _nested(params, "source", "privacy")
    language = _nested(params, "source", "language")
    quote_policy = _nested(params, "source", "quote_policy")
    change = profile_uc.ProfileChange(
        display_name=params.str("display_name"), note=params.str("note"),
        locked=_opt_bool(params, "locked"), bot=_opt_bool(params, "bot"),
        discoverable=_opt_bool(params, "discoverable"), indexable=_opt_bool(params, "indexable"), fields=_fields(params, flat),
        avatar=files.get("avatar"), header=files.get("header"),
        privacy=str(privacy) if privacy is not None else None,
        sensitive=_opt_nested_bool(params, "source", "sensitive"),
        language=str(language) if language is not None else None,
        quote_policy=str(quote_policy) if quote_policy is not None else None)
    account = await profile_uc.update_profile(rt, viewer.account, change)
    return await _credential_response(request, account, viewer)


async def _credential_response(request: web.Request, account, viewer: auth.Viewer) -> web.Response:  # noqa: ANN001
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        body = await credential_account_entity(conn, rt, account, viewer.user)
    return web.json_response(body)


def _remove_image(which: str):  # noqa: ANN202
    async def handler(request: web.Request) -> web.Response:
        viewer = await auth.require(request, "write:accounts")
        account = await profile_uc.remove_image(request.app[RUNTIME], viewer.account, which)
        return await _credential_response(request, account, viewer)
    handler.__name__ = f"delete_{which}"
    return handler


# --- Relationships kept by the profile ----------------------------------------------------------

async def _relationship(request: web.Request, me: int, other: int) -> web.Response:
    from models import social

    async with request.app[RUNTIME].db.read() as conn:
        rel = await social.relationship(conn, me, other)
    return web.json_response(relationship_entity(other, rel))


def _action(scope: str, use_case):  # noqa: ANN001, ANN202
    async def handler(request: web.Request) -> web.Response:
        viewer = await auth.require(request, scope)
        target_id = path_id(request)
        await use_case(request.app[RUNTIME], viewer.account, target_id)
        return await _relationship(request, viewer.account.id, target_id)
    handler.__name__ = use_case.__name__
    return handler


async def note(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "write:accounts")
    params = await Params.read(request)
    target_id = path_id(request)
    await profile_uc.set_note(request.app[RUNTIME], viewer.account, target_id, params.str("comment") or "")
    return await _relationship(request, viewer.account.id, target_id)


async def endorsements(request: web.Request) -> web.Response:
    """GET /api/v1/endorsements: one's own; GET /api/v1/accounts/:id/endorsements: anyone's."""
    if "id" in request.match_info:
        viewer = await auth.optional(request, "read:accounts")
        owner_id = path_id(request)
    else:
        viewer = (await auth.require(request, "read:accounts")).account
        owner_id = viewer.id
    params = await Params.read(request)
    limit = params.int("limit", 40, lo=1, hi=MAX_ACCOUNTS_LIMIT)
    rt = request.app[RUNTIME]
    async with rt.db.read() as conn:
        await lookup.existing_account(conn, owner_id)
        pairs = await profile_store.endorsed_page(conn, owner_id, max_id=params.id("max_id"),
                                                  limit=limit)  # type: ignore[arg-type]
        people = await accounts_store.get_many(conn, [a for _, a in pairs])
    shown = [(cursor, people[a]) for cursor, a in pairs if a in people and people[a].suspended_at is None]
    return pagination.paged_json(request, account_entities(rt, [a for _, a in shown]),
                                 [cursor for cursor, _ in pairs], prev=False)


async def familiar_followers(request: web.Request) -> web.Response:
    viewer = await auth.require(request, "read:follows")
    params = await Params.read(request)
    ids = params.ids("id", MAX_ACCOUNTS_LIMIT)
    rt = request.app[RUNTIME]
    body = []
    async with rt.db.read() as conn:
        for target_id in dict.fromkeys(ids):
            known = await profile_store.familiar_followers(conn, viewer.account.id, target_id)
            people = await accounts_store.get_many(conn, known)
            body.append({"id": str(target_id),
                         "accounts": [account_entity(rt, people[a]) for a in known
                                      if a in people and people[a].suspended_at is None]})
    return web.json_response(body)


ROUTES = [
    web.patch("/api/v1/accounts/update_credentials", update_credentials),
    web.delete("/api/v1/profile/avatar", _remove_image("avatar")),
    web.delete("/api/v1/profile/header", _remove_image("header")),
    web.get("/api/v1/accounts/familiar_followers", familiar_followers),
    web.post(r"/api/v1/accounts/{id:\d+}/remove_from_followers",
             _action("write:follows", profile_uc.remove_from_followers)),
    web.post(r"/api/v1/accounts/{id:\d+}/note", note),
    web.post(r"/api/v1/accounts/{id:\d+}/pin", _action("write:accounts", profile_uc.endorse)),
    web.post(r"/api/v1/accounts/{id:\d+}/unpin", _action("write:accounts", profile_uc.unendorse)),
    web.post(r"/api/v1/accounts/{id:\d+}/endorse", _action("write:accounts", profile_uc.endorse)),
    web.post(r"/api/v1/accounts/{id:\d+}/unendorse", _action("write:accounts", profile_uc.unendorse)),
    web.get("/api/v1/endorsements", endorsements),
    web.get(r"/api/v1/accounts/{id:\d+}/endorsements", endorsements),
]
