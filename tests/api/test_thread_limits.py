"""Thread walks are capped, so a very deep reply chain cannot make one request do unbounded work."""
from models import statuses
from models.statuses import ancestors, descendants


async def test_context_of_a_deep_thread_is_capped(node):
    alice = await node.person("alice")
    post = await alice.post_status("the root")
    chain = [post]
    for i in range(45):
        chain.append(await alice.post_status(f"reply {i}", in_reply_to_id=chain[-1]["id"]))
    context = await (await alice.get(f"/api/v1/statuses/{chain[-1]['id']}/context")).json()
    assert len(context["ancestors"]) == 40  # the nearest 40, oldest first
    assert context["ancestors"][-1]["id"] == chain[-2]["id"]
    async with node.rt.db.read() as conn:
        root = await statuses.get(conn, int(post["id"]))
        assert len(await descendants(conn, root, limit=10)) == 10
        assert len(await ancestors(conn, await statuses.get(conn, int(chain[-1]["id"])), limit=5)) == 5
