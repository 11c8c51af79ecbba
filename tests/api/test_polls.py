"""Polls: creating one with a post, voting, counts, limits, the Question document, votes that other
servers send and send back, and the notification when a poll ends."""
from __future__ import annotations

import time

from sqlalchemy import update

from federation import as2, deref
from models.schema import polls
from social import polls as polls_uc
from social import remote


async def test_create_vote_and_count(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    carol = await node.person("carol")
    posted = await alice.post_status("Tabs or spaces?", poll={"options": ["Tabs", "Spaces"], "expires_in": 3600})
    poll = posted["poll"]
    assert [o["title"] for o in poll["options"]] == ["Tabs", "Spaces"]
    assert poll["expired"] is False and poll["multiple"] is False and poll["votes_count"] == 0
    assert poll["voted"] is True and poll["own_votes"] == []  # an author counts as having voted

    voted = await bob.post(f"/api/v1/polls/{poll['id']}/votes", json={"choices": ["1"]})
    assert voted.status == 200, await voted.text()
    body = await voted.json()
    assert body["own_votes"] == [1] and body["voted"] is True
    assert [o["votes_count"] for o in body["options"]] == [0, 1] and body["voters_count"] == 1

    # Once per voter; not the author; only existing options; one choice on a single-choice poll.
    assert (await bob.post(f"/api/v1/polls/{poll['id']}/votes", json={"choices": ["0"]})).status == 422
    assert (await alice.post(f"/api/v1/polls/{poll['id']}/votes", json={"choices": ["0"]})).status == 422
    assert (await carol.post(f"/api/v1/polls/{poll['id']}/votes", json={"choices": ["2"]})).status == 422
    assert (await carol.post(f"/api/v1/polls/{poll['id']}/votes", json={"choices": ["0", "1"]})).status == 422
    form = await carol.post(f"/api/v1/polls/{poll['id']}/votes", data={"choices[]": "0"})
    assert [o["votes_count"] for o in (await form.json())["options"]] == [1, 1]

    shown = await (await node.client.get(f"/api/v1/polls/{poll['id']}")).json()
    assert shown["votes_count"] == 2 and "own_votes" not in shown
    status = await (await bob.get(f"/api/v1/statuses/{posted['id']}")).json()
    assert status["poll"]["own_votes"] == [1]


async def test_form_encoded_multiple_choice_with_hidden_totals(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    response = await alice.post("/api/v1/statuses", data=[
        ("status", "Which?"), ("poll[options][]", "A"), ("poll[options][]", "B"), ("poll[options][]", "C"),
        ("poll[expires_in]", "600"), ("poll[multiple]", "true"), ("poll[hide_totals]", "true")])
    assert response.status == 200, await response.text()
    poll = (await response.json())["poll"]
    assert poll["multiple"] is True
    body = await (await bob.post(f"/api/v1/polls/{poll['id']}/votes", json={"choices": [0, 2]})).json()
    assert body["own_votes"] == [0, 2]
    assert [o["votes_count"] for o in body["options"]] == [None, None, None]  # hidden until it ends
    mine = await (await alice.get(f"/api/v1/polls/{poll['id']}")).json()
    assert [o["votes_count"] for o in mine["options"]] == [1, 0, 1] and mine["voters_count"] == 1


async def test_invalid_polls_are_refused(node):
    alice = await node.person("alice")
    for poll in ({"options": ["only one"], "expires_in": 600},
                 {"options": ["a", "b", "c", "d", "e"], "expires_in": 600},
                 {"options": ["a", "a"], "expires_in": 600},
                 {"options": ["a", "b"], "expires_in": 10},
                 {"options": ["a", "b"]}):
        response = await alice.post("/api/v1/statuses", json={"status": "q", "poll": poll})
        assert response.status == 422, poll


async def test_question_document_and_votes_from_other_servers(node):
    alice = await node.person("alice")
    posted = await alice.post_status("Pick one", poll={"options": ["Red", "Blue"], "expires_in": 3600})
    rt = node.rt
    actor = {"id": "https://remote.example/users/ann", "type": "Person", "preferredUsername": "ann",
             "inbox": "https://remote.example/users/ann/inbox"}
    ann = await deref.store_actor(rt, as2.actor_values(actor))
    vote = {"id": "https://remote.example/votes/1", "type": "Note", "name": "Blue",
            "attributedTo": ann.uri, "inReplyTo": posted["uri"], "to": [alice.account.uri]}
    assert await polls_uc.receive_vote(rt, vote, ann)
    assert await polls_uc.receive_vote(rt, {**vote, "id": "https://remote.example/votes/2"}, ann)  # a second
    assert await polls_uc.receive_vote(rt, {**vote, "id": "https://remote.example/votes/3", "name": "Green"}, ann)

    question = await (await node.client.get(posted["uri"].replace("http://acme.test", ""),
                                            headers={"Accept": "application/activity+json"})).json()
    assert question["type"] == "Question" and question["votersCount"] == 1
    assert question["oneOf"] == [
        {"type": "Note", "name": "Red", "replies": {"type": "Collection", "totalItems": 0}},
        {"type": "Note", "name": "Blue", "replies": {"type": "Collection", "totalItems": 1}}]
    assert question["endTime"] and "closed" not in question


async def test_remote_question_is_stored_refreshed_and_voted_on(node):
    alice = await node.person("alice")
    rt = node.rt
    actor = {"id": "https://remote.example/users/ann", "type": "Person", "preferredUsername": "ann",
             "inbox": "https://remote.example/users/ann/inbox"}
    ann = await deref.store_actor(rt, as2.actor_values(actor))
    question = {"id": "https://remote.example/q/1", "type": "Question", "attributedTo": ann.uri,
                "content": "<p>Coffee?</p>", "to": [as2.AS + "#Public"], "published": as2.iso(time.time()),
                "endTime": as2.iso(time.time() + 3600), "votersCount": 3,
                "anyOf": [{"type": "Note", "name": "Yes", "replies": {"type": "Collection", "totalItems": 2}},
                          {"type": "Note", "name": "No", "replies": {"type": "Collection", "totalItems": 1}}]}
    status = await remote.store_note(rt, question, ann)
    shown = await (await alice.get(f"/api/v1/statuses/{status.id}")).json()
    assert shown["poll"]["multiple"] is True and shown["poll"]["voters_count"] == 3
    assert [o["votes_count"] for o in shown["poll"]["options"]] == [2, 1]

    voted = await (await alice.post(f"/api/v1/polls/{shown['poll']['id']}/votes", json={"choices": [1]})).json()
    assert voted["own_votes"] == [1] and [o["votes_count"] for o in voted["options"]] == [2, 2]

    question["anyOf"][0]["replies"]["totalItems"] = 5
    question["votersCount"] = 7
    await remote.update_note(rt, question, ann)
    refreshed = await (await alice.get(f"/api/v1/polls/{shown['poll']['id']}")).json()
    assert [o["votes_count"] for o in refreshed["options"]] == [5, 1] and refreshed["voters_count"] == 7
    assert refreshed["own_votes"] == [1]
    assert (await (await alice.get(f"/api/v1/statuses/{status.id}")).json())["edited_at"] is None


async def test_an_ended_poll_notifies_voters_and_author(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    posted = await alice.post_status("Quick one", poll={"options": ["A", "B"], "expires_in": 300})
    poll_id = posted["poll"]["id"]
    await bob.post(f"/api/v1/polls/{poll_id}/votes", json={"choices": [0]})
    async with node.rt.db.write() as conn:
        await conn.execute(update(polls).where(polls.c.id == int(poll_id)).values(expires_at=time.time() - 1))
    ended = await (await bob.get(f"/api/v1/polls/{poll_id}")).json()
    assert ended["expired"] is True
    assert (await bob.post(f"/api/v1/polls/{poll_id}/votes", json={"choices": [1]})).status == 422
    for person in (alice, bob):
        kinds = [(n["type"], n["status"]["id"]) for n in await (await person.get("/api/v1/notifications")).json()]
        assert ("poll", posted["id"]) in kinds
