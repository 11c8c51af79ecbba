"""Parameters read alike from the query string, JSON and forms."""
from __future__ import annotations

import pytest
from aiohttp import FormData, web

from api.params import Params, parse_id
from social.errors import NotFound, Unprocessable


def params(values: dict) -> Params:
    return Params({k: v if isinstance(v, list) else [v] for k, v in values.items()})


@pytest.mark.parametrize("text,expected", [("1", True), ("true", True), ("on", True), ("0", False),
                                           ("false", False), ("off", False), (True, True)])
def test_booleans(text, expected):
    assert params({"x": text}).bool("x") is expected


def test_bad_boolean_is_422():
    with pytest.raises(Unprocessable):
        params({"x": "maybe"}).bool("x")


def test_lists_from_arrays_and_repeated_keys():
    assert params({"id": [["1", "2"]]}).list("id") == ["1", "2"]
    assert params({"id": ["1", "2"]}).list("id") == ["1", "2"]
    assert params({}).list("id") == []


@pytest.mark.parametrize("bad", ["abc", "-1", "1.5", "", "99999999999999999999", "١٢"])
def test_garbage_ids_are_404(bad):
    with pytest.raises(NotFound):
        parse_id(bad)


async def echo(request: web.Request) -> web.Response:
    p = await Params.read(request)
    return web.json_response({"types": p.list("types"), "limit": p.int("limit"), "local": p.bool("local"),
                              "exclude": p.list("exclude_types")})


@pytest.fixture
async def echo_client(aiohttp_client):  # noqa: ANN001, ANN201
    app = web.Application()
    app.router.add_post("/echo", echo)
    return await aiohttp_client(app)


EXPECTED = {"types": ["a", "b"], "limit": 7, "local": True, "exclude": ["c", "d"]}


async def test_query_and_json_body(echo_client):
    response = await echo_client.post("/echo?types[]=a&types[]=b&limit=5",
                                      json={"limit": 7, "local": True, "exclude_types": ["c", "d"]})
    assert await response.json() == EXPECTED


async def test_urlencoded_form(echo_client):
    response = await echo_client.post("/echo", data=[("types[]", "a"), ("types[]", "b"), ("limit", "7"),
                                                     ("local", "on"), ("exclude_types[]", "c"),
                                                     ("exclude_types[]", "d")])
    assert await response.json() == EXPECTED


async def test_multipart_form(echo_client):
    form = FormData()
    for name, value in [("types[]", "a"), ("types[]", "b"), ("limit", "7"), ("local", "1"),
                        ("exclude_types[]", "c"), ("exclude_types[]", "d")]:
        form.add_field(name, value)
    form.add_field("file", b"ignored", filename="x.bin")
    response = await echo_client.post("/echo", data=form)
    assert await response.json() == EXPECTED
