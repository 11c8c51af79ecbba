"""Mastodon.py against a real node: the streaming API as its StreamListener reads it (server-sent
events at /api/v1/streaming/user), and the authorisation-code flow through the HTML sign-in page."""
from __future__ import annotations

import html
import re
import threading
from urllib.parse import urljoin

import pytest
from mastodon import Mastodon, StreamListener

from tests.rig.clients import LoopbackSession, mastodon_py
from tests.rig.nodes import Node, eventually, free_port

SCOPES = ["read", "write", "follow"]


@pytest.fixture(scope="module")
def acme(tmp_path_factory):  # noqa: ANN001, ANN201
    node = Node(domain="acme.test", port=free_port(), data=tmp_path_factory.mktemp("acme")).start()
    node.create_user("alice")
    node.create_user("bob")
    yield node
    node.stop()


def close_soon(handle) -> None:  # noqa: ANN001
    """Close a stream without waiting: requests only lets go of a streaming response once the next
    bytes (a heartbeat, every 15 s) arrive."""
    threading.Thread(target=handle.close, daemon=True).start()


class Recorder(StreamListener):
    def __init__(self):
        self.updates: list = []
        self.notifications: list = []
        self.deletes: list = []
        self.lock = threading.Lock()

    def on_update(self, status):  # noqa: ANN001
        with self.lock:
            self.updates.append(status)

    def on_notification(self, notification):  # noqa: ANN001
        with self.lock:
            self.notifications.append(notification)

    def on_delete(self, status_id):  # noqa: ANN001
        with self.lock:
            self.deletes.append(status_id)


def test_stream_user_receives_updates_and_notifications(acme):
    alice = mastodon_py(acme, acme.token("alice"))
    bob = mastodon_py(acme, acme.token("bob"))
    assert alice.stream_healthy()
    bob_id = alice.account_lookup("bob").id
    alice.account_follow(bob_id)
    eventually(lambda: alice.account_relationships(bob_id)[0].following, message="alice follows bob")

    listener = Recorder()
    handle = alice.stream_user(listener, run_async=True)
    try:
        eventually(handle.is_receiving, message="stream connected")
        posted = bob.status_post("a post for my followers")
        update = eventually(lambda: next((s for s in listener.updates if s.id == posted.id), None),
                            timeout=10, message="update on alice's user stream")
        assert update.account.acct == "bob"
        assert update.content == posted.content

        mention = bob.status_post("@alice have a look")
        note = eventually(lambda: next((n for n in listener.notifications if n.type == "mention"), None),
                          timeout=10, message="mention notification on alice's user stream")
        assert note.status.id == mention.id
        assert note.account.acct == "bob"

        bob.status_delete(posted.id)
        eventually(lambda: posted.id in listener.deletes, timeout=10, message="delete on the stream")
    finally:
        close_soon(handle)


def test_stream_public_local_and_hashtag(acme):
    alice = mastodon_py(acme, acme.token("alice"))
    bob = mastodon_py(acme, acme.token("bob"))
    local, tagged = Recorder(), Recorder()
    handles = [alice.stream_public(local, local=True, run_async=True),
               alice.stream_hashtag("learning", tagged, run_async=True)]
    try:
        for handle in handles:
            eventually(handle.is_receiving, message="stream connected")
        bob.status_post("followers only #learning", visibility="private")
        public = bob.status_post("out loud #learning")
        eventually(lambda: [s.id for s in tagged.updates] == [public.id], timeout=10, message="hashtag update")
        eventually(lambda: public.id in [s.id for s in local.updates], timeout=10, message="local update")
        assert all(s.visibility == "public" for s in local.updates)
    finally:
        for handle in handles:
            close_soon(handle)


def test_authorization_code_flow_through_the_sign_in_page(acme):
    session = LoopbackSession(acme)
    client_id, client_secret = Mastodon.create_app("Scripted app", scopes=SCOPES, api_base_url=acme.base,
                                                   session=session)
    client = mastodon_py(acme, client_id=client_id, client_secret=client_secret)
    url = client.auth_request_url(scopes=SCOPES, state="xyz", allow_http=True)

    # The "browser": open the page, sign in and consent with the form's own fields.
    page = session.get(url)
    assert page.status_code == 200 and "Scripted app" in page.text
    form = dict(re.findall(r"<input type=hidden name='([^']+)' value='([^']*)'>", page.text))
    form = {k: html.unescape(v) for k, v in form.items()}
    action = re.search(r"<form method=post action='([^']+)'", page.text).group(1)
    shown = session.post(urljoin(page.url, action),
                         data={**form, "username": "alice@acme.test", "password": "correct horse battery",
                               "decision": "approve"})
    assert shown.status_code == 200, shown.text
    code = html.unescape(re.search(r"<code>([^<]+)</code>", shown.text).group(1))

    token = client.log_in(code=code, scopes=SCOPES, allow_http=True)
    assert token
    assert client.account_verify_credentials().acct == "alice"
    assert mastodon_py(acme, token).status_post("signed in through the browser").visibility == "public"


def test_events_cross_processes(tmp_path, database_factory):
    """Two `backchannel serve` processes over one database (the second runs no workers): a client
    streaming from one hears what is posted through the other."""
    database = database_factory() or str(tmp_path / "shared" / "backchannel.sqlite3")
    first = Node(domain="acme.test", port=free_port(), data=tmp_path / "first", database=database).start()
    second = Node(domain="acme.test", port=free_port(), data=tmp_path / "second", database=database,
                  extra_env={"BACKCHANNEL_WORKERS": "false"})
    try:
        second.start()
        first.create_user("alice")
        first.create_user("bob")
        alice_there = mastodon_py(second, second.token("alice"))
        bob_here = mastodon_py(first, first.token("bob"))
        bob_id = alice_there.account_lookup("bob").id
        alice_there.account_follow(bob_id)
        eventually(lambda: alice_there.account_relationships(bob_id)[0].following, message="alice follows bob")

        home, local = Recorder(), Recorder()
        handles = [alice_there.stream_user(home, run_async=True),
                   alice_there.stream_public(local, local=True, run_async=True)]
        try:
            for handle in handles:
                eventually(handle.is_receiving, message="stream connected")
            posted = bob_here.status_post("@alice posted through the other process")
            eventually(lambda: posted.id in [s.id for s in home.updates], timeout=10, message="home update")
            eventually(lambda: posted.id in [s.id for s in local.updates], timeout=10, message="public update")
            eventually(lambda: [n.status.id for n in home.notifications] == [posted.id], timeout=10,
                       message="notification")
        finally:
            for handle in handles:
                close_soon(handle)
    finally:
        second.stop()
        first.stop()


def test_websocket_streams_multiplexed(on_loopback):
    pytest.importorskip("websocket", reason="Mastodon.py's WebSocket streaming needs websocket-client")
    node = on_loopback
    alice = node.mastodon(node.token("alice"))
    bob = node.mastodon(node.token("bob"))
    home, tagged = Recorder(), Recorder()
    handle = alice.stream_open_websocket(listener=home)
    try:
        handle.subscribe("user")
        handle.subscribe("hashtag", listener=tagged, tag="python")
        eventually(handle.is_receiving, message="websocket open")
        own = alice.status_post("my own post lands in my home #python")
        eventually(lambda: own.id in [s.id for s in home.updates], timeout=10, message="update over WebSocket")
        eventually(lambda: [s.id for s in tagged.updates] == [own.id], timeout=10, message="hashtag update")
        bob.status_post("@alice over the socket")
        eventually(lambda: [n.type for n in home.notifications] == ["mention"], timeout=10,
                   message="notification over WebSocket")
    finally:
        handle.close()
