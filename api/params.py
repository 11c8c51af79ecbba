"""Request parameters as Mastodon clients send them: query string, JSON, urlencoded or multipart form.

Every reader takes the same shapes: `key[]=a&key[]=b` and JSON arrays, booleans as 0/1/true/false/
on/off, ids as decimal strings. Unknown parameters are ignored.
"""
from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from federation import safejson
from social.errors import NotFound, ServiceError, Unprocessable

MAX_ID = 2 ** 63 - 1
TRUE = {"1", "true", "on", "yes", "t"}
FALSE = {"0", "false", "off", "no", "f", ""}


class BadRequest(ServiceError):
    """The body could not be parsed at all."""
    status = 400


def parse_id(value: Any) -> int:
    """A Mastodon id; anything else is a record that cannot exist, hence 404 as Mastodon answers."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or int(text) > MAX_ID:
        raise NotFound("Record not found")
    return int(text)


def path_id(request: web.Request, name: str = "id") -> int:
    return parse_id(request.match_info[name])


class Params:
    def __init__(self, values: dict[str, list[Any]]):
        self._values = values

    @classmethod
    async def read(cls, request: web.Request) -> "Params":
        """Query string first; the body's values win when both name a key."""
        values: dict[str, list[Any]] = {}
        _merge_pairs(values, request.query.items())
        if request.body_exists and request.method not in ("GET", "HEAD"):
            ctype = request.content_type
            if ctype == "application/json":
                _merge_json(values, await _json_body(request))
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                try:
                    form = await request.post()
                except ValueError as err:
                    raise BadRequest(f"Invalid form body: {err}") from None
                # Uploaded files are not supported (no media yet); only plain fields count.
                _merge_pairs(values, ((k, v) for k, v in form.items() if isinstance(v, str)))
        return cls(values)

    def __contains__(self, key: str) -> bool:
        return key in self._values

    def raw(self, key: str):  # noqa: ANN201
        """The last value as sent (a JSON object stays a dict), or None."""
        found = self._values.get(key)
        return found[-1] if found else None

    def str(self, key: str, default: str | None = None) -> str | None:
        found = self._values.get(key)
        if not found or found[-1] is None:
            return default
        value = found[-1]
        if isinstance(value, (dict, list)):
            raise Unprocessable(f"{key} must be a string")
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def required_text(self, key: str, label: str) -> str:
        """The value without surrounding white space; 422 "<label> can't be blank" when that is empty."""
        text = (self.str(key) or "").strip()
        if not text:
            raise Unprocessable(f"Validation failed: {label} can't be blank")
        return text

    def bool(self, key: str, default: bool = False) -> bool:
        found = self._values.get(key)
        if not found or found[-1] is None:
            return default
        value = found[-1]
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise Unprocessable(f"{key} must be a boolean")

    def int(self, key: str, default: int | None = None, *, lo: int | None = None,
            hi: int | None = None) -> int | None:
        """An integer clamped to [lo, hi], as Mastodon clamps `limit`."""
        text = self.str(key)
        if text is None or text.strip() == "":
            return default
        try:
            value = int(text)
        except ValueError:
            raise Unprocessable(f"{key} must be an integer") from None
        if lo is not None:
            value = max(lo, value)
        if hi is not None:
            value = min(hi, value)
        return value

    def id(self, key: str) -> int | None:
        """An optional id; a malformed one is a record that cannot exist (404)."""
        text = self.str(key)
        return None if text is None or text == "" else parse_id(text)

    def ids(self, key: str, limit: int) -> list[int]:
        """`id[]=…` lists: at most `limit`, malformed ones left out (Mastodon skips what it cannot find)."""
        found = []
        for value in self.list(key)[:limit]:
            try:
                found.append(parse_id(value))
            except NotFound:
                continue
        return found

    def list(self, key: str) -> list[str]:
        """`key[]=a&key[]=b`, a JSON array, or a single value; empty strings are dropped."""
        out: list[str] = []
        for value in self._values.get(key, []):
            items = value if isinstance(value, list) else [value]
            out.extend(str(v) for v in items if v is not None and not isinstance(v, dict) and str(v) != "")
        return out

    def indexed(self, key: str) -> list[dict[str, Any]]:
        """Form fields in the `key[0][field]=…` shape, as a list of {field: value} in index order."""
        found: dict[int, dict[str, Any]] = {}
        for name, values in self._values.items():
            match = re.fullmatch(re.escape(key) + r"\[(\d{1,3})\]\[(\w{1,40})\]", name)
            if match and values:
                found.setdefault(int(match[1]), {})[match[2]] = values[-1]
        return [found[i] for i in sorted(found)]


def _key(name: str) -> str:
    return name[:-2] if name.endswith("[]") else name


def _merge_pairs(values: dict[str, list[Any]], pairs) -> None:  # noqa: ANN001
    fresh: dict[str, list[Any]] = {}
    for name, value in pairs:
        fresh.setdefault(_key(name), []).append(value)
    values.update(fresh)


def _merge_json(values: dict[str, list[Any]], body: Any) -> None:
    if body is None:
        return
    if not isinstance(body, dict):
        raise Unprocessable("The request body must be a JSON object")
    for name, value in body.items():
        values[_key(name)] = [value]  # a JSON array stays one value; Params.list flattens it


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw.strip():
        return None
    try:
        return safejson.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise BadRequest(f"Invalid JSON body: {err}") from None
