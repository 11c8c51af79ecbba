"""One canonical host per server, whatever the spelling (federation.hosts), and which remote URLs may
be shown to people (federation.as2.safe_url)."""
import pytest

from federation.as2 import safe_url
from federation.hosts import Host, HostError, canonical_host, origin_of, same_origin
from federation.policy import DomainError, normalize_domain

SPELLINGS = [
    # (as written, the scheme a bare host is taken in, canonical origin)
    ("https://evil.example/users/x", "https", "evil.example"),
    ("https://evil.example:443/users/x", "https", "evil.example"),
    ("http://evil.example:80/users/x", "https", "evil.example"),
    ("HTTP://EVIL.Example:80/users/x", "https", "evil.example"),
    ("https://evil.example./users/x", "https", "evil.example"),
    ("https://Evil.Example.:443/", "https", "evil.example"),
    ("https://evil.example:8443/users/x", "https", "evil.example:8443"),
    ("http://evil.example:443/users/x", "http", "evil.example:443"),  # 443 is not the default of http
    ("https://evil.example:80/", "https", "evil.example:80"),
    ("https://mallory@evil.example/", "https", "evil.example"),  # userinfo is not the host
    ("https://victim.example@evil.example/", "https", "evil.example"),
    ("https://BÜCHER.example/users/x", "https", "xn--bcher-kva.example"),
    ("https://xn--BCHER-kva.example/", "https", "xn--bcher-kva.example"),
    ("https://evil。example/", "https", "evil.example"),  # an ideographic full stop is a dot (UTS 46)
    ("https://ＥＶＩＬ.example/", "https", "evil.example"),  # full-width letters fold too
    ("https://[::1]:443/", "https", "[::1]"),
    ("https://[0:0::1]:8443/", "https", "[::1]:8443"),
    ("http://127.0.0.1:80/", "https", "127.0.0.1"),
    # Bare hosts and account addresses take the default scheme's port.
    ("evil.example", "https", "evil.example"),
    ("EVIL.example.", "https", "evil.example"),
    ("evil.example:443", "https", "evil.example"),
    ("evil.example:80", "https", "evil.example:80"),
    ("evil.example:80", "http", "evil.example"),
    ("localhost:8080", "http", "localhost:8080"),
    ("alice@Evil.Example", "https", "evil.example"),
    ("acct:alice@evil.example:443", "https", "evil.example"),
    ("evil.example/some/path", "https", "evil.example"),
]


@pytest.mark.parametrize("value,scheme,origin", SPELLINGS)
def test_every_spelling_of_a_host_is_one_value(value, scheme, origin):
    host = canonical_host(value, scheme=scheme)
    assert str(host) == origin
    assert host == canonical_host(origin, scheme=scheme)  # canonical forms are fixed points


NOT_HOSTS = [
    "", "   ", "javascript://evil.example/%0aalert(1)", "ftp://evil.example/", "data:text/html,x",
    "//evil.example/x", "https://evil..example/", "https://.evil.example/", "https://evil.example../",
    "https://evil%2eexample/", "https://evil example/", "https://evil.example:0/",
    "https://evil.example:65536/", "https://evil.example:8o/", "https://[::1/", "https://[nope]/",
    "https://" + "a" * 254 + "/", "https://evil\u200b\u0000.example/",
    "https://evil.example\\@victim.example/", "https://evil.example\t@victim.example/", "https://evil .example/",
]


@pytest.mark.parametrize("value", NOT_HOSTS)
def test_what_is_not_a_host_is_refused(value):
    with pytest.raises(HostError):
        canonical_host(value)
    assert origin_of(value) == ""


def test_origins_differ_by_port_but_rules_cover_every_port_and_subdomain():
    assert same_origin("https://evil.example/a", "http://EVIL.example.:80/b")
    assert not same_origin("https://evil.example/a", "https://evil.example:8443/b")
    assert not same_origin("https://evil.example/a", "https://a.evil.example/b")
    assert not same_origin("javascript://evil.example/a", "javascript://evil.example/a")
    assert canonical_host("https://a.evil.example:8443/").covering() == ["a.evil.example", "evil.example", "example"]
    assert canonical_host("https://[::1]:8443/").covering() == ["[::1]"]  # an address has no parents
    assert canonical_host("https://a.evil.example:8443/").within("evil.example")
    assert not canonical_host("https://notevil.example/").within("evil.example")
    assert Host("evil.example", 8443) != Host("evil.example")


@pytest.mark.parametrize("written,kept", [
    ("evil.example", "evil.example"), ("EVIL.Example.", "evil.example"), ("evil.example:8443", "evil.example"),
    ("https://evil.example:443/users/x", "evil.example"), ("BÜCHER.example", "xn--bcher-kva.example"),
    ("alice@a.evil.example", "a.evil.example"),
])
def test_a_domain_rule_is_kept_under_the_name_alone(written, kept):
    assert normalize_domain(written) == kept


@pytest.mark.parametrize("bad", ["", "not a domain", "evil..example", "javascript://evil.example/"])
def test_a_domain_rule_for_no_domain_is_refused(bad):
    with pytest.raises(DomainError):
        normalize_domain(bad)


UNSAFE_URLS = [
    "javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "java\nscript:alert(1)", "\x01javascript:alert(1)", "javascript://evil.example/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "//evil.example/x",
    "/relative/path", "https:\\\\evil.example", "http:///no-host", "https://evil..example/",
    "https://evil.example/" + "a" * 2100, "", None, 42, {"href": "https://evil.example/"},
    "https://evil.example/a\nb", "https://evil.example/a b", "https://evil.example/ ", "\nhttps://evil.example/",
]


@pytest.mark.parametrize("url", UNSAFE_URLS)
def test_only_absolute_http_urls_from_remote_documents_are_kept(url):
    assert safe_url(url) is None


@pytest.mark.parametrize("url", ["https://evil.example/@mallory", "HTTP://evil.example:8080/x?y=1#z",
                                 "https://BÜCHER.example/a"])
def test_http_urls_are_kept_as_written(url):
    assert safe_url(url) == url


@pytest.mark.parametrize("mode", ["blocklist", "allowlist"])
async def test_the_policy_judges_every_spelling_of_a_host_alike(tmp_path, database_factory, mode):
    import sqlalchemy as sa

    from backchannel.config import database_url
    from federation.policy import FederationPolicy
    from models.db import Database
    from models import node
    from models.migrate import upgrade
    from models.schema import domain_allows, domain_blocks

    db = Database(database_url(database_factory() or "", str(tmp_path)))
    try:
        await upgrade(db)
        async with db.write() as conn:
            await node.create(conn, domain="acme.example", federation_mode=mode)
            await conn.execute(sa.insert(domain_blocks).values(id=1, domain=normalize_domain("EVIL.example.:8443"),
                                                               severity="suspend", created_at=0.0))
            await conn.execute(sa.insert(domain_allows).values(id=1, domain=normalize_domain("Good.Example"),
                                                               created_at=0.0))
            await conn.execute(sa.insert(domain_allows).values(id=2, domain=normalize_domain("bücher.example"),
                                                               created_at=0.0))
        policy = FederationPolicy(db, local_domain="acme.example")
        refused = ["https://evil.example/users/x", "https://evil.example:443/users/x", "http://evil.example:80/x",
                   "https://EVIL.Example./x", "https://a.evil.example:8443/x", "evil.example:8443",
                   "alice@A.EVIL.EXAMPLE", "javascript://good.example/x", "https://good..example/x", ""]
        allowed = ["https://good.example/users/x", "https://GOOD.example.:8443/x", "https://a.good.example/x",
                   "http://xn--bcher-kva.example:80/x", "https://BÜCHER.example/x", "https://acme.example:443/x"]
        unlisted = ["https://goodexample.test/x", "https://good.example.evil/x"]
        for where in refused:
            assert not await policy.allows(where), where
        for where in allowed:
            assert await policy.allows(where), where
        for where in unlisted:
            assert await policy.allows(where) is (mode == "blocklist"), where
    finally:
        await db.dispose()


async def test_made_up_hosts_by_the_thousand_do_not_pile_up_in_the_policy(tmp_path, database_factory, monkeypatch):
    """Every inbound request names a host: an attacker with a wildcard DNS record can name millions.
    The policy keeps at most CACHE_MAX verdicts, and a blocked host stays blocked after a clear."""
    import sqlalchemy as sa

    from backchannel.config import database_url
    from federation import policy as policy_module
    from models.db import Database
    from models import node
    from models.migrate import upgrade
    from models.schema import domain_blocks

    monkeypatch.setattr(policy_module, "CACHE_MAX", 50)  # the limit's size, not its working, is set here
    db = Database(database_url(database_factory() or "", str(tmp_path)))
    try:
        await upgrade(db)
        async with db.write() as conn:
            await node.create(conn, domain="acme.example", federation_mode="blocklist")
            await conn.execute(sa.insert(domain_blocks).values(id=1, domain=normalize_domain("evil.example"),
                                                               severity="suspend", created_at=0.0))
        policy = policy_module.FederationPolicy(db, local_domain="acme.example")
        for n in range(240):
            assert await policy.allows(f"https://h{n}.attacker.example/x")
            assert not await policy.allows(f"https://h{n}.evil.example/x")
            assert len(policy._cache) <= 50
    finally:
        await db.dispose()
