"""The outgoing client never connects to loopback, private or link-local addresses in production."""
import asyncio

import pytest

from federation.http import BlockedAddress, FederationClient, GuardedResolver, is_public_address


@pytest.mark.parametrize("ip", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                "0.0.0.0", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "100.64.0.1",
                                "224.0.0.1"])
def test_non_public_addresses(ip):
    assert not is_public_address(ip)


@pytest.mark.parametrize("ip", ["1.1.1.1", "2606:4700:4700::1111", "93.184.216.34"])
def test_public_addresses(ip):
    assert is_public_address(ip)


def client(insecure=False, host_map=None) -> FederationClient:
    return FederationClient(host_map=host_map or {}, insecure_http=insecure, timeout=5,
                            max_body_bytes=1024, user_agent="test")


@pytest.mark.parametrize("url", ["http://example.com/x", "https://127.0.0.1/", "https://[::1]/",
                                 "https://10.0.0.1/inbox", "https://localhost/", "https://intranet/",
                                 "file:///etc/passwd", "ftp://example.com/", "/relative"])
def test_refused_before_connecting(url):
    with pytest.raises(BlockedAddress):
        client().check_url(url)


async def test_a_name_that_resolves_to_loopback_is_refused():
    resolver = GuardedResolver({}, allow_private=False)
    with pytest.raises(BlockedAddress):
        await resolver.resolve("localhost", 443)


async def test_mapped_test_hosts_resolve_to_their_port():
    resolver = GuardedResolver({"acme.test": ("127.0.0.1", 8123)}, allow_private=False)
    [result] = await resolver.resolve("ACME.test", 80)
    assert (result["host"], result["port"]) == ("127.0.0.1", 8123)


def test_a_request_to_loopback_fails_without_connecting():
    async def attempt():
        c = client()
        await c.start()
        try:
            await c.get_json("https://localhost:1/actor")
        finally:
            await c.close()

    with pytest.raises(BlockedAddress):
        asyncio.run(attempt())


def test_an_origin_let_through_before_lets_no_other_spelling_through():
    """check_url remembers the origins it let through; an attacker's URL that merely starts like one,
    or spells a refused host another way, is still checked in full, every time."""
    guard = client()
    for _ in range(2):
        guard.check_url("https://good.example/users/a/inbox")
        guard.check_url("https://good.example:8443/inbox")
    for url in ["https://good.example@127.0.0.1/inbox", "https://good.example:443@10.0.0.1/x",
                "https://good.example.@[::1]/x", "https://good.example\\@127.0.0.1/x",
                "https://LOCALHOST/x", "https://localhost./x", "https://127.0.0.1:443/x",
                "https://127.1/x", "https://0x7f.1/x", "https://%31%32%37.0.0.1/x",
                "https://good.example%40127.0.0.1/x", "http://good.example/inbox", "https://intranet./x"]:
        for _ in range(2):  # a refusal is not remembered as a pass
            with pytest.raises(BlockedAddress):
                guard.check_url(url)
