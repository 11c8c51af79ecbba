"""The smaller holes a hostile server reaches over the network (issue 9, item 11), against a real node."""
import socket
import sqlite3
import time

import pytest

from tests.rig.fake_remote import FakeRemote, create, note, post_signed
from tests.rig.nodes import Node, eventually, free_port

NODE = "acme.test"
READ_SECONDS = 2  # the node's deadline for receiving a whole request body


@pytest.fixture(scope="module")
def arena(tmp_path_factory):
    evil = FakeRemote("evil.test").start()
    node = Node(domain=NODE, port=free_port(), data=tmp_path_factory.mktemp("acme"),
                resolve={"evil.test": evil.port},
                extra_env={"BACKCHANNEL_BODY_READ_TIMEOUT": str(READ_SECONDS)}).start()
    yield node, evil
    node.stop()
    evil.stop()


def sql(node, query, *args):
    with sqlite3.connect(node.data / "backchannel.sqlite3") as db:
        return db.execute(query, args).fetchall()


def send_and_apply(node, actor, activity):
    status, text = post_signed(node.base, NODE, "/inbox", activity, actor)
    assert status == 202, text
    return eventually(lambda: (row := sql(node, "SELECT state, last_error FROM inbox_items WHERE activity_uri = ?",
                                          activity["id"])) and row[0][0] != "pending" and row[0],
                      message="the activity handled")


@pytest.mark.parametrize("count", [10 ** 30, 2 ** 63, 2 ** 64])
def test_a_poll_with_an_absurd_vote_count_is_stored_with_its_counts_clamped(arena, count):
    node, evil = arena
    # Given a hostile server's poll claiming more votes than a 64-bit column holds
    quizmaster = evil.add_actor(f"quiz{count % 997}")
    question = note(quizmaster, "Which?", suffix=f"q{count % 997}") | {"type": "Question", "votersCount": count, "oneOf": [
        {"type": "Note", "name": "yes", "replies": {"type": "Collection", "totalItems": count}},
        {"type": "Note", "name": "no", "replies": {"type": "Collection", "totalItems": 3}}]}
    # When it is delivered
    state, error = send_and_apply(node, quizmaster, create(quizmaster, question))
    # Then the post is kept, at once, with counts a column can hold
    assert (state, error) == ("done", None)
    [(options, votes, voters)] = sql(node, "SELECT p.options, p.votes_count, p.voters_count FROM polls p "
                                           "JOIN statuses s ON s.id = p.status_id WHERE s.uri = ?", question["id"])
    assert votes <= 2 ** 63 - 1 and voters <= 2 ** 63 - 1 and '"no", "votes_count": 3' in options


@pytest.mark.parametrize("published", ["0001-01-01T00:00:00Z", "1900-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_a_post_dated_absurdly_gets_a_sane_id_and_date(arena, published):
    node, evil = arena
    # Given a post dated in year 1 (or 1900, or 9999)
    author = evil.add_actor("timetraveller")
    post = note(author, "from another age", suffix=published[:4]) | {"published": published}
    # When it is delivered
    assert send_and_apply(node, author, create(author, post))[0] == "done"
    # Then its id is positive and its date between 2000 and now
    [(status_id, created_at)] = sql(node, "SELECT id, created_at FROM statuses WHERE uri = ?", post["id"])
    assert status_id > 0
    assert 946684800 <= created_at <= time.time() + 1


def test_bidi_controls_are_stripped_from_remote_display_names(arena):
    node, evil = arena
    # Given a remote actor whose name turns the text around it the other way, in several spellings
    spoofer = evil.add_actor("spoofer")
    spoofer.extra.update({"name": "Admin\u202e\u2066gro.emca\u2069\u200f \u061c&#x202E;x",
                          "attachment": [{"type": "PropertyValue", "name": "\u202dsite\u200e", "value": "v"}]})
    # When its actor document is read (its first activity)
    send_and_apply(node, spoofer, create(spoofer, note(spoofer, "hello", suffix="bidi")))
    # Then no bidi formatting character is kept
    [(name, fields)] = sql(node, "SELECT display_name, fields FROM accounts WHERE uri = ?", spoofer.uri)
    assert name.startswith("Admin") and name.endswith("x")
    for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c":
        assert ch not in name and ch not in fields
    assert '"name": "site"' in fields


def _trickle(node, path: str, seconds: float) -> bytes:
    """Send headers for a 1000-byte body, then one byte every 0.2 s; return what the node answers."""
    with socket.create_connection(("127.0.0.1", node.port), timeout=seconds) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {NODE}\r\nContent-Type: application/activity+json\r\n"
                     "Content-Length: 1000\r\n\r\n".encode())
        sock.setblocking(False)
        answer, deadline = b"", time.monotonic() + seconds
        while time.monotonic() < deadline and b"\r\n" not in answer:
            try:
                sock.send(b" ")
            except OSError:
                break
            time.sleep(0.2)
            try:
                answer += sock.recv(4096)
            except BlockingIOError:
                pass
            except OSError:
                break
        return answer


@pytest.mark.parametrize("path", ["/inbox", "/actor/inbox"])
def test_a_body_trickled_byte_by_byte_is_cut_off_with_408(arena, path):
    node, _ = arena
    # Given a client that sends its body one byte at a time, forever
    # When it posts to an inbox
    answer = _trickle(node, path, seconds=READ_SECONDS * 6)
    # Then the node answers 408 once its read deadline has passed
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
