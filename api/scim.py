"""SCIM 2.0 (RFC 7643, RFC 7644) at /scim/v2: the organisation's directory creates, changes,
deactivates and deletes users here, with a bearer token made by `backchannel scim token create`.

Users are the local accounts with a login. Groups are the directory's groups of those users, kept
here; the group named by `scim_admin_group` (or `scim_moderator_group`) gives its members that role
(social.provisioning). Every answer, errors included, is SCIM JSON.
"""
from __future__ import annotations

import datetime
import functools
import json
import logging
from typing import Any, Awaitable, Callable

from aiohttp import web

from api.auth import bearer_token
from api.scim_filter import FilterError, attribute_name, parse
from api.scim_schemas import ERROR, GROUP, LIST, MAX_RESULTS, PATCH, USER
from api import scim_schemas
from backchannel.keys import RUNTIME
from federation import safejson
from federation.runtime import Runtime
from models import scim
from models.db import DatabaseUnavailable
from models.scim import ScimGroup, ScimUser
from social import provisioning
from social.errors import ServiceError

log = logging.getLogger(__name__)
PREFIX = "/scim/v2"
MEDIA_TYPE = "application/scim+json"
MAX_OPERATIONS = 100
DOCS = "https://github.com/backchannel/backchannel#single-sign-on-and-provisioning"


class ScimError(Exception):
    def __init__(self, status: int, detail: str, scim_type: str | None = None):
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type


def _json(body: dict, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(text=json.dumps(body), status=status, content_type=MEDIA_TYPE, headers=headers)


def _error(status: int, detail: str, scim_type: str | None = None) -> web.Response:
    body: dict[str, Any] = {"schemas": [ERROR], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    headers = {"WWW-Authenticate": 'Bearer realm="SCIM"'} if status == 401 else None
    return _json(body, status, headers)


Handler = Callable[[web.Request], Awaitable[web.Response]]


def endpoint(handler: Handler) -> Handler:
    """The bearer token checked first; every failure answered as a SCIM error, never a 500."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.Response:
        rt = request.app[RUNTIME]
        token = bearer_token(request) if request.headers.get("Authorization") else None
        if not token:
            return _error(401, "A bearer token is required")
        async with rt.db.read() as conn:
            valid = await scim.token_valid(conn, token)
        if not valid:
            return _error(401, "The bearer token is not valid")
        try:
            return await handler(request)
        except ScimError as err:
            return _error(err.status, err.detail, err.scim_type)
        except provisioning.Conflict as err:
            return _error(409, err.message, "uniqueness")
        except ServiceError as err:
            return _error(err.status if err.status != 422 else 400, err.message,
                          "invalidValue" if err.status in (400, 422) else None)
        except DatabaseUnavailable:
            raise  # the database guard answers 503
        except Exception:  # noqa: BLE001 - the last line of defence: logged, answered in SCIM's shape
            log.exception("unhandled error in %s %s", request.method, request.path)
            return _error(500, "internal error")
    return wrapped


# --- Representations ----------------------------------------------------------------------------

def _when(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def _base(rt: Runtime) -> str:
    return rt.urls.base + PREFIX


def user_resource(rt: Runtime, user: ScimUser) -> dict:
    out: dict[str, Any] = {"schemas": [USER], "id": str(user.account_id)}
    if user.external_id:
        out["externalId"] = user.external_id
    out["userName"] = user.user_name
    if user.display_name:
        out["displayName"] = user.display_name
    if user.emails:
        out["emails"] = user.emails
    if user.active is not None:
        out["active"] = user.active
    out["meta"] = {"resourceType": "User", "created": _when(user.created_at),
                   "lastModified": _when(user.updated_at), "location": f"{_base(rt)}/Users/{user.account_id}",
                   "version": f'W/"{int(user.updated_at * 1000)}"'}
    return out


def group_resource(rt: Runtime, group: ScimGroup, *, members: bool = True) -> dict:
    out: dict[str, Any] = {"schemas": [GROUP], "id": str(group.id)}
    if group.external_id:
        out["externalId"] = group.external_id
    out["displayName"] = group.display_name
    if members and group.members:
        # No `display`: the user's userName can change without the group's version moving.
        out["members"] = [{"value": str(m.account_id), "$ref": f"{_base(rt)}/Users/{m.account_id}",
                           "type": "User"} for m in group.members]
    out["meta"] = {"resourceType": "Group", "created": _when(group.created_at),
                   "lastModified": _when(group.updated_at), "location": f"{_base(rt)}/Groups/{group.id}",
                   "version": f'W/"{int(group.updated_at * 1000)}"'}
    return out


def _shaped(query: Any, resource: dict) -> dict:
    """`attributes` keeps only the named attributes, `excludedAttributes` drops them; schemas and id
    always stay (RFC 7644 §3.9)."""
    keep = _names(query.get("attributes"))
    drop = _names(query.get("excludedAttributes"))
    if not keep and not drop:
        return resource
    out = {}
    for key, value in resource.items():
        name = key.lower()
        if name in ("schemas", "id") or ((not keep or name in keep) and name not in drop):
            out[key] = value
    return out


def _names(value: str | None) -> set[str]:
    return {attribute_name(part.strip()).split(".")[0] for part in (value or "").split(",") if part.strip()}


def _list(query: Any, total: int, start: int, resources: list[dict]) -> web.Response:
    return _json({"schemas": [LIST], "totalResults": total, "startIndex": start, "itemsPerPage": len(resources),
                  "Resources": [_shaped(query, r) for r in resources]})


def _paging(query: Any) -> tuple[int, int]:
    try:
        start = int(query.get("startIndex", 1))
        count = int(query.get("count", MAX_RESULTS))
    except (TypeError, ValueError):
        raise ScimError(400, "startIndex and count are integers", "invalidValue") from None
    return max(start, 1), min(max(count, 0), MAX_RESULTS)


async def _body(request: web.Request) -> dict:
    try:
        doc = safejson.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        raise ScimError(400, "The body is not JSON", "invalidSyntax") from None
    if not isinstance(doc, dict):
        raise ScimError(400, "The body is not a JSON object", "invalidSyntax")
    return doc


def _user_id(request: web.Request) -> int:
    value = request.match_info["id"]
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        raise ScimError(404, f"No user {value}")
    return int(value)


# --- Discovery ----------------------------------------------------------------------------------

@endpoint
async def service_provider_config(request: web.Request) -> web.Response:
    return _json(scim_schemas.service_provider_config(_base(request.app[RUNTIME]), DOCS))


def _discovery_list(build: Callable[[str], list[dict]]) -> Callable:
    @endpoint
    async def listing(request: web.Request) -> web.Response:
        found = build(_base(request.app[RUNTIME]))
        return _list(request.query, len(found), 1, found)
    return listing


def _discovery_item(build: Callable[[str], list[dict]], what: str) -> Callable:
    @endpoint
    async def item(request: web.Request) -> web.Response:
        for found in build(_base(request.app[RUNTIME])):
            if found["id"] == request.match_info["id"]:
                return _json(found)
        raise ScimError(404, f"No such {what}")
    return item


resource_types = _discovery_list(scim_schemas.resource_types)
resource_type = _discovery_item(scim_schemas.resource_types, "resource type")
schemas = _discovery_list(scim_schemas.schemas)
schema = _discovery_item(scim_schemas.schemas, "schema")


# --- Users --------------------------------------------------------------------------------------

def _string(doc: dict, key: str, *, required: bool = False) -> str | None:
    value = doc.get(key)
    if value is None or value == "":
        if required:
            raise ScimError(400, f"{key} is required", "invalidValue")
        return None
    if not isinstance(value, str) or len(value) > 255:
        raise ScimError(400, f"{key} must be a string of at most 255 characters", "invalidValue")
    return value.strip()


def _bool(value: Any, key: str = "active") -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):  # some directories send "False"
        return value.lower() == "true"
    raise ScimError(400, f"{key} must be true or false", "invalidValue")


def _emails(value: Any) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 10:
        raise ScimError(400, "emails must be a list of at most 10 addresses", "invalidValue")
    out = []
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), str) or "@" not in entry["value"] \
                or len(entry["value"]) > 255:
            raise ScimError(400, "every e-mail needs a value that is an address", "invalidValue")
        item: dict[str, Any] = {"value": entry["value"].strip()}
        if isinstance(entry.get("type"), str):
            item["type"] = entry["type"][:32]
        if entry.get("primary") is not None:
            item["primary"] = _bool(entry["primary"], "primary")
        out.append(item)
    return out


def _state(doc: dict) -> dict:
    """A User document (POST or PUT) as the fields provisioning takes; keys case-insensitive."""
    doc = {attribute_name(k): v for k, v in doc.items()}
    return {"user_name": _string(doc, "username", required=True), "display_name": _string(doc, "displayname") or "",
            "emails": _emails(doc.get("emails")), "external_id": _string(doc, "externalid"),
            "active": _bool(doc["active"]) if doc.get("active") is not None else None}


def _where(query: dict, condition: Callable[[tuple], Any]) -> Any:
    if not query.get("filter"):
        return None
    if not isinstance(query["filter"], str):
        raise ScimError(400, "filter is a string", "invalidFilter")
    try:
        return condition(parse(query["filter"]))
    except (FilterError, KeyError, ValueError) as err:
        raise ScimError(400, f"Cannot use this filter: {err}", "invalidFilter") from None


async def _search_users(request: web.Request, query: dict) -> web.Response:
    """GET /Users and POST /Users/.search (RFC 7644 §3.4.3) take the same parameters."""
    rt = request.app[RUNTIME]
    start, count = _paging(query)
    where = _where(query, scim.condition)
    async with rt.db.read() as conn:
        total, found = await scim.users_page(conn, where, start - 1, count)
    resources = [user_resource(rt, u) for u in found if u.account_id != rt.instance_account_id]
    return _list(query, total, start, resources)


async def _search_groups(request: web.Request, query: dict) -> web.Response:
    rt = request.app[RUNTIME]
    start, count = _paging(query)
    where = _where(query, scim.group_condition)
    members = _wants_members(query)
    async with rt.db.read() as conn:
        total, found = await scim.groups_page(conn, where, start - 1, count, with_members=members)
    return _list(query, total, start, [group_resource(rt, g, members=members) for g in found])


def _wants_members(query: Any) -> bool:
    """Directories list groups without their members (excludedAttributes=members) to spare a big read."""
    keep, drop = _names(query.get("attributes")), _names(query.get("excludedAttributes"))
    return "members" not in drop and (not keep or "members" in keep)


def _search_query(doc: dict) -> dict:
    """A SearchRequest's body as the query parameters of a GET."""
    query = {k: v for k, v in doc.items() if k in ("filter", "startIndex", "count")}
    for key in ("attributes", "excludedAttributes"):
        if isinstance(doc.get(key), list):
            query[key] = ",".join(str(v) for v in doc[key])
        elif isinstance(doc.get(key), str):
            query[key] = doc[key]
    return query


@endpoint
async def search_all(request: web.Request) -> web.Response:
    """POST /.search at the root (RFC 7644 §3.4.3): users, then groups, the filter applied to each kind
    that has its attributes (a filter neither kind can use is a 400)."""
    rt = request.app[RUNTIME]
    query = _search_query(await _body(request))
    start, count = _paging(query)
    members = _wants_members(query)
    kinds, refused = [], None
    for condition, page, build in (
            (scim.condition, scim.users_page, lambda u: user_resource(rt, u)),
            (scim.group_condition, functools.partial(scim.groups_page, with_members=members),
             lambda g: group_resource(rt, g, members=members))):
        try:
            kinds.append((_where(query, condition), page, build))
        except ScimError as err:
            refused = err
    if not kinds and refused is not None:
        raise refused
    total, resources = 0, []
    async with rt.db.read() as conn:
        for where, page, build in kinds:
            found_total, found = await page(conn, where, max(start - 1 - total, 0), count - len(resources))
            total += found_total
            resources += [build(f) for f in found if getattr(f, "account_id", None) != rt.instance_account_id]
    return _list(query, total, start, resources)


def _searches(search: Callable[[web.Request, dict], Awaitable[web.Response]]) -> tuple[Handler, Handler]:
    """GET /Kind with query parameters, and POST /Kind/.search with them in a SearchRequest."""
    @endpoint
    async def listing(request: web.Request) -> web.Response:
        return await search(request, dict(request.query))

    @endpoint
    async def searching(request: web.Request) -> web.Response:
        return await search(request, _search_query(await _body(request)))
    return listing, searching


list_users, search_users = _searches(_search_users)


@endpoint
async def create_user(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    user = await provisioning.create_user(rt, **_state(await _body(request)))
    resource = user_resource(rt, user)
    return _json(resource, 201, {"Location": resource["meta"]["location"]})


@endpoint
async def get_user(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    user = await provisioning.get_user(rt, _user_id(request))
    return _json(_shaped(request.query, user_resource(rt, user)))


@endpoint
async def replace_user(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    account_id = _user_id(request)
    await provisioning.get_user(rt, account_id)
    user = await provisioning.update_user(rt, account_id, **_state(await _body(request)))
    return _json(user_resource(rt, user))


@endpoint
async def patch_user(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    account_id = _user_id(request)
    current = await provisioning.get_user(rt, account_id)
    operations = _operations(await _body(request))
    state = {"user_name": current.user_name, "display_name": current.display_name, "emails": list(current.emails),
             "external_id": current.external_id, "active": current.active}
    for operation in operations:
        _apply(state, operation)
    user = await provisioning.update_user(rt, account_id, **state)
    return _json(user_resource(rt, user))


FIELDS = {"username": "user_name", "displayname": "display_name", "externalid": "external_id",
          "active": "active", "emails": "emails"}


def _operations(doc: dict) -> list[dict]:
    operations = doc.get("Operations") or doc.get("operations")
    if PATCH not in (doc.get("schemas") or []) or not isinstance(operations, list) or not operations:
        raise ScimError(400, "A PatchOp with a list of Operations is expected", "invalidSyntax")
    if len(operations) > MAX_OPERATIONS:
        raise ScimError(400, f"At most {MAX_OPERATIONS} operations at once", "invalidSyntax")
    return operations


def _operation(operation: Any) -> tuple[str, str | None, Any]:
    """One PATCH operation (RFC 7644 §3.5.2) checked: (add|replace|remove, path or None, value);
    without a path the value is an object of attributes."""
    if not isinstance(operation, dict) or not isinstance(operation.get("op"), str):
        raise ScimError(400, "Every operation needs an op", "invalidSyntax")
    op, path, value = operation["op"].lower(), operation.get("path"), operation.get("value")
    if op not in ("add", "replace", "remove"):
        raise ScimError(400, f"Unknown op {operation['op']!r}", "invalidSyntax")
    if not path:
        if op == "remove" or not isinstance(value, dict):
            raise ScimError(400, "Without a path, add and replace take an object of attributes", "noTarget")
        return op, None, value
    if not isinstance(path, str):
        raise ScimError(400, "path must be a string", "invalidPath")
    return op, path, value


def _apply(state: dict, operation: Any) -> None:
    """One PATCH operation on the user's fields."""
    op, path, value = _operation(operation)
    if not path:
        for key, item in value.items():
            _set(state, op, attribute_name(key), item)
        return
    _set(state, op, attribute_name(path), value)


def _set(state: dict, op: str, path: str, value: Any) -> None:
    if path.startswith("emails[") or path.startswith("emails."):
        _set_email(state, op, path, value)
        return
    field = FIELDS.get(path)
    if field is None:
        raise ScimError(400, f"No attribute {path!r} can be changed here", "invalidPath")
    if op == "remove":
        if field == "user_name":
            raise ScimError(400, "userName is required", "mutability")
        state[field] = {"display_name": "", "emails": [], "external_id": None, "active": None}[field]
        return
    if field == "emails":
        added = _emails(value if isinstance(value, list) else [value])
        state["emails"] = (state["emails"] + added) if op == "add" else added
    elif field == "active":
        state["active"] = _bool(value)
    else:
        state[field] = _string({path: value}, path, required=field == "user_name") or (
            "" if field == "display_name" else None)


def _set_email(state: dict, op: str, path: str, value: Any) -> None:
    """emails[type eq "work"].value, as directories such as Entra ID send it, and emails.value."""
    kind = None
    if path.startswith("emails["):
        inner, _, rest = path[len("emails["):].partition("]")
        tree = _value_filter(inner, "type")
        kind = tree[2]
        sub = rest.lstrip(".")
    else:
        sub = path[len("emails."):]
    if sub not in ("", "value"):
        raise ScimError(400, f"Cannot change {path!r}", "invalidPath")
    others = [e for e in state["emails"] if e.get("type") != kind] if kind else []
    if op == "remove":
        state["emails"] = others
        return
    entry = {"value": value.get("value") if isinstance(value, dict) else value}
    if kind:
        entry["type"] = kind
    added = _emails([entry])[0]
    if not others:
        added["primary"] = True
    state["emails"] = others + [added]


def _value_filter(text: str, attribute: str) -> tuple:
    """The filter of a value path (emails[type eq "work"], members[value eq "1"]): one eq on `attribute`."""
    try:
        tree = parse(text)
    except FilterError as err:
        raise ScimError(400, str(err), "invalidPath") from None
    if tree[0] != "eq" or tree[1] != attribute or not isinstance(tree[2], str):
        raise ScimError(400, f'Only [{attribute} eq "…"] is supported in a path', "invalidPath")
    return tree


@endpoint
async def delete_user(request: web.Request) -> web.Response:
    await provisioning.delete_user(request.app[RUNTIME], _user_id(request))
    return web.Response(status=204)


# --- Groups -------------------------------------------------------------------------------------

def _group_id(request: web.Request) -> int:
    value = request.match_info["id"]
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise ScimError(404, f"No group {value}")
    return int(value)


def _members(value: Any) -> list[int]:
    """Members as sent ([{"value": "<user id>"}, …], the id also read from a `$ref`): the user ids."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or len(value) > 10_000:
        raise ScimError(400, "members must be a list of at most 10000 users", "invalidValue")
    out = []
    for entry in value:
        found = entry.get("value") if isinstance(entry, dict) else None
        if found is None and isinstance(entry, dict) and isinstance(entry.get("$ref"), str):
            found = entry["$ref"].rstrip("/").rsplit("/", 1)[-1]
        if isinstance(found, int) and not isinstance(found, bool):
            found = str(found)
        if not isinstance(found, str) or not found.isascii() or not found.isdigit() or len(found) > 18:
            raise ScimError(400, "every member needs a value that is a user's id", "invalidValue")
        out.append(int(found))
    return list(dict.fromkeys(out))


def _group_state(doc: dict) -> dict:
    """A Group document (POST or PUT) as provisioning takes it; keys case-insensitive."""
    doc = {attribute_name(k): v for k, v in doc.items()}
    return {"display_name": _string(doc, "displayname", required=True), "external_id": _string(doc, "externalid"),
            "members": _members(doc.get("members"))}


list_groups, search_groups = _searches(_search_groups)


@endpoint
async def create_group(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    group = await provisioning.create_group(rt, **_group_state(await _body(request)))
    resource = group_resource(rt, group)
    return _json(resource, 201, {"Location": resource["meta"]["location"]})


@endpoint
async def get_group(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    members = _wants_members(request.query)
    group = await provisioning.get_group(rt, _group_id(request), with_members=members)
    return _json(_shaped(request.query, group_resource(rt, group, members=members)))


@endpoint
async def replace_group(request: web.Request) -> web.Response:
    group_id = _group_id(request)
    wanted = _group_state(await _body(request))
    return await _changed_group(request, group_id, lambda state: state.update(wanted))


@endpoint
async def patch_group(request: web.Request) -> web.Response:
    group_id = _group_id(request)
    operations = _operations(await _body(request))
    for operation in operations:  # checked before the transaction; applied to the state read in it
        _apply_to_group({"display_name": "x", "external_id": None, "members": []}, operation)

    def change(state: dict) -> None:
        for operation in operations:
            _apply_to_group(state, operation)
    return await _changed_group(request, group_id, change)


async def _changed_group(request: web.Request, group_id: int, change: Callable[[dict], None]) -> web.Response:
    rt = request.app[RUNTIME]
    return _json(group_resource(rt, await provisioning.change_group(rt, group_id, change)))


def _apply_to_group(state: dict, operation: dict) -> None:
    """One PATCH operation (RFC 7644 §3.5.2) on a group: displayName, externalId, and members added,
    replaced or removed, all of them or those a `members[value eq "…"]` path names."""
    op, path, value = _operation(operation)
    if not path:
        for key, item in value.items():
            if attribute_name(key) != "id":  # Entra ID sends the id along; it cannot change
                _set_on_group(state, op, attribute_name(key), item)
        return
    _set_on_group(state, op, attribute_name(path), value)


def _set_on_group(state: dict, op: str, path: str, value: Any) -> None:
    if path.startswith("members[") and path.endswith("]"):
        tree = _value_filter(path[len("members["):-1], "value")
        if op != "remove":
            raise ScimError(400, "A members[…] path only removes", "invalidPath")
        gone = set(_members([{"value": tree[2]}])) if isinstance(tree[2], str) else set()
        state["members"] = [m for m in state["members"] if m not in gone]
    elif path in ("members", "members.value"):
        if path == "members.value":
            value = [{"value": v} for v in (value if isinstance(value, list) else [value])]
        if op == "remove":
            gone = set(_members(value)) if value is not None else None  # Entra ID names whom to remove
            state["members"] = [] if gone is None else [m for m in state["members"] if m not in gone]
        else:
            added = _members(value)
            state["members"] = list(dict.fromkeys(state["members"] + added)) if op == "add" else added
    elif path == "displayname":
        if op == "remove":
            raise ScimError(400, "displayName is required", "mutability")
        state["display_name"] = _string({path: value}, path, required=True)
    elif path == "externalid":
        state["external_id"] = None if op == "remove" else _string({path: value}, path)
    else:
        raise ScimError(400, f"No attribute {path!r} can be changed here", "invalidPath")


@endpoint
async def delete_group(request: web.Request) -> web.Response:
    await provisioning.delete_group(request.app[RUNTIME], _group_id(request))
    return web.Response(status=204)


@endpoint
async def not_found(request: web.Request) -> web.Response:
    raise ScimError(404, f"Nothing at {request.path}")


@endpoint
async def method_not_allowed(request: web.Request) -> web.Response:
    raise ScimError(405, f"{request.method} is not allowed on {request.path}")


HANDLERS: dict[str, dict[str, Callable]] = {
    "/ServiceProviderConfig": {"GET": service_provider_config},
    "/ResourceTypes": {"GET": resource_types},
    "/ResourceTypes/{id}": {"GET": resource_type},
    "/Schemas": {"GET": schemas},
    "/Schemas/{id}": {"GET": schema},
    "/Users": {"GET": list_users, "POST": create_user},
    "/Users/.search": {"POST": search_users},
    "/.search": {"POST": search_all},
    "/Users/{id}": {"GET": get_user, "PUT": replace_user, "PATCH": patch_user, "DELETE": delete_user},
    "/Groups": {"GET": list_groups, "POST": create_group},
    "/Groups/.search": {"POST": search_groups},
    "/Groups/{id}": {"GET": get_group, "PUT": replace_group, "PATCH": patch_group, "DELETE": delete_group},
}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ROUTES = [web.route(method, PREFIX + path, methods.get(method, method_not_allowed))
          for path, methods in HANDLERS.items() for method in METHODS]
ROUTES.append(web.route("*", PREFIX + "/{tail:.*}", not_found))
