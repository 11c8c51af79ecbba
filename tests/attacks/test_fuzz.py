"""Hypothesis-generated activities and API calls against a running node: never a 500, never an
unhandled exception in its log. Activities are signed by a real remote actor, so they get past the
inbox and into the handlers."""
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.rig.fake_remote import FakeRemote, post_signed, raw_request
from tests.rig.nodes import Node, eventually, free_port

REMOTE = "http://fuzz.test"
NODE = "http://acme.test"
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck),
                    derandomize=True)

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63), st.floats(allow_nan=False),
                    st.text(max_size=40))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)
uris = st.one_of(
    st.sampled_from([f"{REMOTE}/users/fuzzer", f"{REMOTE}/users/fuzzer/statuses/1", f"{NODE}/users/alice",
                     f"{NODE}/users/alice/statuses/1", "https://www.w3.org/ns/activitystreams#Public",
                     f"{REMOTE}/users/fuzzer/followers", "http://elsewhere.test/x", "", "not a url"]),
    st.text(max_size=30))
ACTIVITY_TYPES = ["Create", "Update", "Delete", "Follow", "Accept", "Reject", "Undo", "Announce", "Like",
                  "Block", "Flag", "Move", "Add", "Remove", "Question"]
OBJECT_TYPES = ["Note", "Question", "Article", "Person", "Tombstone", "Follow", "Like", "Announce", "Image"]


def objects(depth: int = 0):
    fields = {
        "id": st.one_of(uris, json_values),
        "type": st.one_of(st.sampled_from(OBJECT_TYPES), json_values),
        "attributedTo": st.one_of(uris, json_values),
        "actor": st.one_of(uris, json_values),
        "object": st.one_of(uris, json_values) if depth else st.one_of(uris, st.deferred(lambda: objects(1))),
        "content": st.one_of(st.text(max_size=80), json_values),
        "contentMap": json_values, "summary": st.one_of(st.text(max_size=20), json_values),
        "to": st.one_of(uris, st.lists(uris, max_size=3), json_values),
        "cc": st.one_of(uris, st.lists(uris, max_size=3), json_values),
        "tag": st.one_of(st.lists(st.fixed_dictionaries({"type": st.sampled_from(["Mention", "Hashtag", "Emoji"]),
                                                         "href": uris, "name": st.text(max_size=15)}), max_size=3),
                         json_values),
        "inReplyTo": st.one_of(uris, json_values), "published": st.one_of(st.text(max_size=25), json_values),
        "updated": st.one_of(st.text(max_size=25), json_values), "sensitive": json_values,
        "url": st.one_of(uris, json_values), "preferredUsername": json_values, "publicKey": json_values,
        "oneOf": json_values, "attachment": json_values, "endTime": json_values, "name": json_values,
    }
    return st.fixed_dictionaries({}, optional=fields)


activities = st.fixed_dictionaries(
    {"type": st.one_of(st.sampled_from(ACTIVITY_TYPES), json_values), "actor": st.just(f"{REMOTE}/users/fuzzer")},
    optional={"id": st.one_of(st.builds(lambda n: f"{REMOTE}/activities/{n}", st.integers(0, 10**9)), uris,
                              json_values),
              "object": st.one_of(uris, objects()), "to": json_values, "cc": json_values,
              "@context": json_values})


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    remote = FakeRemote("fuzz.test").start()
    node = Node(domain="acme.test", port=free_port(), data=tmp_path_factory.mktemp("acme"),
                resolve={"fuzz.test": remote.port}).start()
    node.create_user("alice")
    token = node.token("alice")
    actor = remote.add_actor("fuzzer")
    yield node, actor, token
    node.stop()
    remote.stop()


def log_errors(node) -> list[str]:
    return [line for line in node.log_path.read_text(errors="replace").splitlines()
            if "Traceback" in line or re.search(r"\bERROR\b", line)]


@SETTINGS
@given(activity=activities)
def test_signed_activities_never_break_the_node(target, activity):
    node, actor, _ = target
    status, text = post_signed(node.base, node.domain, "/inbox", activity, actor)
    assert status in (202, 400, 401, 403), (status, text)


def test_the_fuzzed_activities_left_no_error_in_the_log(target):
    node, _, _ = target
    import sqlite3

    def drained():
        with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
            return db.execute("SELECT count(*) FROM inbox_items WHERE state='pending'").fetchone()[0] == 0
    eventually(drained, timeout=120, message="every fuzzed activity handled")
    assert log_errors(node) == []


api_params = st.dictionaries(
    st.sampled_from(["status", "visibility", "in_reply_to_id", "spoiler_text", "sensitive", "language",
                     "media_ids", "poll", "limit", "max_id", "since_id", "min_id", "q", "resolve", "type",
                     "id", "local", "remote", "types", "exclude_types", "following", "scheduled_at"]),
    json_values, max_size=6)
API_CALLS = [("POST", "/api/v1/statuses"), ("GET", "/api/v1/timelines/home"), ("GET", "/api/v1/timelines/public"),
             ("GET", "/api/v2/search"), ("GET", "/api/v1/notifications"), ("GET", "/api/v1/accounts/relationships"),
             ("GET", "/api/v1/accounts/search"), ("POST", "/api/v1/apps"), ("POST", "/oauth/token"),
             ("GET", "/api/v1/accounts/lookup"), ("PUT", "/api/v1/statuses/1"), ("POST", "/api/v1/domain_blocks")]


@SETTINGS
@given(call=st.sampled_from(API_CALLS), params=api_params, as_json=st.booleans())
def test_api_calls_never_answer_500(target, call, params, as_json):
    node, _, token = target
    method, path = call
    headers = {"Authorization": f"Bearer {token}"}
    if as_json:
        headers["Content-Type"] = "application/json"
        body = json.dumps(params).encode()
    else:
        from urllib.parse import urlencode

        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = urlencode({k: json.dumps(v) if not isinstance(v, str) else v for k, v in params.items()}).encode()
    status, text = raw_request(node.base + path, method, headers, body if method != "GET" else None)
    assert status < 500, (status, text)


def test_the_fuzzed_api_calls_left_no_error_in_the_log(target):
    assert log_errors(target[0]) == []
