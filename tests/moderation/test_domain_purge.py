"""Suspending a domain purges what its accounts did here, in batches, with progress for the CLI."""
from __future__ import annotations

from social import moderation


async def test_suspending_a_large_domain_purges_it_in_batches_with_progress(node):
    # Given 120 accounts of spam.example known here, one of them followed by alice
    from models import accounts as accounts_store
    from models import social as social_store

    alice = await node.person("alice")
    async with node.rt.db.write() as conn:
        for i in range(120):
            await accounts_store.upsert_remote(conn, {"username": f"bot{i}", "domain": "spam.example",
                                                      "uri": f"https://spam.example/users/bot{i}"})
    bot = (await (await alice.get("/api/v1/accounts/lookup?acct=bot7@spam.example")).json())
    assert (await alice.post(f"/api/v1/accounts/{bot['id']}/follow")).status == 200
    async with node.rt.db.write() as conn:  # the bot accepted, and follows alice back
        await social_store.add_follow(conn, int(alice.id), int(bot["id"]), uri=None, state="accepted")
        await social_store.add_follow(conn, int(bot["id"]), int(alice.id), uri="https://spam.example/f/1", state="accepted")
    assert (await (await alice.get(f"/api/v1/accounts/{alice.id}")).json())["followers_count"] == 1
    # When the domain is suspended, as `backchannel domain block spam.example` does
    steps: list[tuple[int, int]] = []
    await moderation.block_domain(node.rt, "spam.example", "suspend", progress=lambda done, total: steps.append((done, total)))
    # Then the purge reports each batch of accounts, and alice no longer follows the bot
    assert steps == [(50, 120), (100, 120), (120, 120)]
    me = await (await alice.get(f"/api/v1/accounts/{alice.id}")).json()
    assert (me["following_count"], me["followers_count"]) == (0, 0)
