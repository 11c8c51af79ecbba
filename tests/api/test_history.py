"""GET /api/v1/statuses/:id/history and /source."""
from __future__ import annotations


async def test_history_lists_revisions_oldest_first_current_last(node):
    alice = await node.person("alice")
    posted = await alice.post_status("first draft")

    # Given a status never edited, its history is itself
    history = await (await alice.get(f"/api/v1/statuses/{posted['id']}/history")).json()
    assert len(history) == 1 and "first draft" in history[0]["content"]

    # When it is edited twice
    for text in ("second draft", "final text"):
        response = await alice.put(f"/api/v1/statuses/{posted['id']}", json={"status": text,
                                                                              "spoiler_text": "cw"})
        assert response.status == 200, await response.text()

    # Then the history holds three StatusEdits, the current one last
    response = await alice.get(f"/api/v1/statuses/{posted['id']}/history")
    assert response.status == 200
    history = await response.json()
    assert ["first draft" in history[0]["content"], "second draft" in history[1]["content"],
            "final text" in history[2]["content"]] == [True, True, True]
    assert history[0]["spoiler_text"] == "" and history[2]["spoiler_text"] == "cw"
    assert history[2]["sensitive"] is True
    assert set(history[0]) == {"content", "spoiler_text", "sensitive", "created_at", "account", "poll",
                               "media_attachments", "emojis"}
    assert history[0]["account"]["id"] == alice.id
    assert history[0]["created_at"] <= history[1]["created_at"] <= history[2]["created_at"]

    source = await (await alice.get(f"/api/v1/statuses/{posted['id']}/source")).json()
    assert source == {"id": posted["id"], "text": "final text", "spoiler_text": "cw"}


async def test_history_of_a_private_status_is_404_to_others(node):
    alice, bob = await node.person("alice"), await node.person("bob")
    posted = await alice.post_status("secret", visibility="private")
    assert (await bob.get(f"/api/v1/statuses/{posted['id']}/history")).status == 404
    assert (await node.client.get(f"/api/v1/statuses/{posted['id']}/history")).status == 404
    assert (await node.client.get("/api/v1/statuses/nope/history")).status == 404
