"""Every endpoint Mastodon.py 2.x can call is either routed here or listed, with its reason, in the
README's "What the API does not serve" table, and that table lists nothing that is now served.

The endpoints are read from Mastodon.py's own source (its `__api_request(METHOD, PATH)` calls), and
each is resolved by the node's real router, trailing-slash fallback included."""
from __future__ import annotations

import re
from pathlib import Path

import mastodon
from aiohttp.test_utils import make_mocked_request

from backchannel.app import create_app
from tests.api.conftest import node_config

README = Path(__file__).resolve().parents[2] / "README.md"
CALL = re.compile(r"""__api_request\(\s*['"](GET|POST|PUT|PATCH|DELETE)['"],\s*f?['"]([^'"]+)['"]""")
# Values for Mastodon.py's path parameters that the routes' own patterns accept.
SAMPLES = {"timeline": "home", "group_key": "favourite-1", "name": "learning"}


def mastodon_py_calls() -> set[tuple[str, str]]:
    calls = set()
    for source in Path(mastodon.__file__).parent.rglob("*.py"):
        calls.update(CALL.findall(source.read_text()))
    return calls


def concrete(path: str) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: SAMPLES.get(m.group(1), "1"), path)


def readme_rows() -> list[tuple[str, re.Pattern]]:
    """(spelling, pattern over "METHOD /path") for each endpoint in the README's table."""
    text = README.read_text()
    table = text[text.index("| endpoint | why |"):]
    table = table[:table.index("\n\n")]
    rows = []
    for line in table.splitlines()[2:]:
        for spec in re.findall(r"`([^`]+)`", line.split(" | ")[0]):
            methods, _, path = spec.rpartition(" ")
            pattern = re.escape(path.rstrip("…"))
            pattern = re.sub(r":\w+", r"[^/]+", pattern)
            pattern = re.sub(r"\\\{([\w,]+)\\\}", lambda m: "(" + m.group(1).replace(",", "|") + ")", pattern)
            method = "(" + methods.replace("/", "|") + ")" if methods else r"\w+"
            rows.append((spec, re.compile(f"{method} {pattern}{'(/.*)?' if path.endswith('…') else ''}")))
    return rows


async def test_every_mastodon_py_endpoint_is_served_or_documented(tmp_path):
    app = create_app(node_config(tmp_path))
    calls = mastodon_py_calls()
    assert len(calls) > 200, "Mastodon.py's calls were not found in its source"
    unserved = []
    for method, path in sorted(calls):
        match = await app.router.resolve(make_mocked_request(method, concrete(path), app=app))
        if match.http_exception is not None:
            unserved.append(f"{method} {concrete(path)}")
    rows = readme_rows()
    assert rows, "the README's table was not found"
    undocumented = [e for e in unserved if not any(p.fullmatch(e) for _, p in rows)]
    assert not undocumented, f"served by neither the node nor the README's table: {undocumented}"
    stale = [spec for spec, p in rows if not any(p.fullmatch(e) for e in unserved)]
    assert not stale, f"the README lists these as not served, but they are now: {stale}"
