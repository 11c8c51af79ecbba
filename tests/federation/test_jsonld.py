"""JSON-LD with bundled contexts only: no network, ever."""

import json
import socket

import pytest
from pyld import jsonld as pyld_jsonld

from federation import jsonld
from federation.jsonld import AS_CONTEXT, ContextNotBundled, compact, document_loader, expand

AS = "https://www.w3.org/ns/activitystreams#"
SEC = "https://w3id.org/security#"
TOOT = "http://joinmastodon.org/ns#"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a socket fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def mastodon_note():
    return {
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            {
                "ostatus": "http://ostatus.org#",
                "atomUri": "ostatus:atomUri",
                "sensitive": "as:sensitive",
                "toot": "http://joinmastodon.org/ns#",
                "votersCount": "toot:votersCount",
                "blurhash": "toot:blurhash",
                "Hashtag": "as:Hashtag",
            },
        ],
        "id": "https://globex.test/users/guru/statuses/1",
        "type": "Note",
        "attributedTo": "https://globex.test/users/guru",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": ["https://globex.test/users/guru/followers"],
        "content": "<p>Hello <a href=\"https://globex.test/tags/fedi\" class=\"mention hashtag\">#fedi</a></p>",
        "sensitive": False,
        "tag": [{"type": "Hashtag", "href": "https://globex.test/tags/fedi", "name": "#fedi"}],
        "attachment": [{"type": "Document", "mediaType": "image/png", "url": "https://globex.test/a.png", "blurhash": "LEHV6n"}],
    }


def test_a_mastodon_note_expands_offline():
    # Given a Note as Mastodon serves it
    note = mastodon_note()
    # When it is expanded with the bundled contexts
    [node] = expand(note)
    # Then its terms are full IRIs
    assert node["@id"] == "https://globex.test/users/guru/statuses/1"
    assert node["@type"] == [AS + "Note"]
    assert node[AS + "attributedTo"] == [{"@id": "https://globex.test/users/guru"}]
    assert node[AS + "to"] == [{"@id": AS + "Public"}]
    assert node[AS + "sensitive"] == [{"@value": False}]
    assert node[AS + "tag"][0]["@type"] == [AS + "Hashtag"]
    assert node[AS + "attachment"][0][TOOT + "blurhash"] == [{"@value": "LEHV6n"}]


def test_an_actor_with_security_and_our_context_expands():
    actor = {
        "@context": AS_CONTEXT,
        "id": "https://local.test/users/alice",
        "type": "Person",
        "preferredUsername": "alice",
        "manuallyApprovesFollowers": True,
        "discoverable": True,
        "featured": "https://local.test/users/alice/featured",
        "publicKey": {
            "id": "https://local.test/users/alice#main-key",
            "owner": "https://local.test/users/alice",
            "publicKeyPem": "-----BEGIN PUBLIC KEY-----...",
        },
        "attachment": [{"type": "PropertyValue", "name": "site", "value": "x"}],
    }
    [node] = expand(actor)
    assert node[AS + "manuallyApprovesFollowers"] == [{"@value": True}]
    assert node[TOOT + "discoverable"] == [{"@value": True}]
    assert node[TOOT + "featured"] == [{"@id": "https://local.test/users/alice/featured"}]
    key = node[SEC + "publicKey"][0]
    assert key[SEC + "publicKeyPem"] == [{"@value": "-----BEGIN PUBLIC KEY-----..."}]
    assert node[AS + "attachment"][0]["@type"] == ["http://schema.org#PropertyValue"]


@pytest.mark.parametrize(
    "url",
    [
        "https://www.w3.org/ns/activitystreams",
        "http://www.w3.org/ns/activitystreams",
        "https://www.w3.org/ns/activitystreams#",
        "https://www.w3.org/ns/activitystreams.jsonld",
        "https://w3id.org/security/v1",
        "https://w3id.org/security/v2",
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
        "https://w3id.org/security/data-integrity/v1",
    ],
)
def test_bundled_contexts_load(url):
    remote = document_loader(url)
    assert remote["contextUrl"] is None
    assert remote["documentUrl"] == url
    assert "@context" in remote["document"]


def test_loader_returns_copies():
    first = document_loader("https://www.w3.org/ns/activitystreams")
    first["document"]["@context"]["id"] = "tampered"
    again = document_loader("https://www.w3.org/ns/activitystreams")
    assert again["document"]["@context"]["id"] == "@id"


def test_unknown_context_is_refused_without_network():
    # Given a document that needs a context we do not bundle
    doc = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://evil.test/ns.jsonld"],
        "type": "Note",
    }
    # When it is expanded, Then it fails (the no_network fixture proves nothing was fetched)
    with pytest.raises(ContextNotBundled) as info:
        expand(doc)
    assert info.value.url == "https://evil.test/ns.jsonld"
    # and it is also a pyld error and a ValueError for callers that catch those
    assert isinstance(info.value, pyld_jsonld.JsonLdError)
    assert isinstance(info.value, ValueError)


def test_loader_refuses_unknown_urls():
    with pytest.raises(ContextNotBundled):
        document_loader("http://127.0.0.1/ctx")


def test_pyld_global_loader_is_untouched():
    before = pyld_jsonld.get_document_loader()
    expand(mastodon_note())
    assert pyld_jsonld.get_document_loader() is before


def test_compact_round_trip_with_our_context():
    # Given an expanded Note
    expanded = expand(mastodon_note())
    # When compacted with the context Backchannel serves
    out = compact(expanded, AS_CONTEXT)
    # Then the Mastodon terms come back short
    assert out["@context"] == AS_CONTEXT
    assert out["type"] == "Note"
    assert out["sensitive"] is False
    assert out["tag"]["type"] == "Hashtag"
    assert out["attachment"]["blurhash"] == "LEHV6n"


def test_index_covers_every_bundled_file():
    index = json.loads((jsonld.CONTEXTS_DIR / "index.json").read_text())
    for filename in set(index.values()):
        assert (jsonld.CONTEXTS_DIR / filename).is_file()


def test_the_terms_of_quotes_interaction_policies_proofs_and_events_expand():
    # A JSON-LD reader (an LD signature check, a forwarded activity) must not drop what we send:
    # every term we write is in the context we serve with it.
    from federation.context import ACTOR_CONTEXT

    fep044f, gts = "https://w3id.org/fep/044f#", "https://gotosocial.org/ns#"
    note = {"@context": AS_CONTEXT, "id": "https://local.test/users/alice/statuses/2", "type": "Note",
            "quote": "https://remote.test/notes/1", "quoteUri": "https://remote.test/notes/1",
            "_misskey_quote": "https://remote.test/notes/1",
            "quoteAuthorization": "https://remote.test/users/bob/quote_authorizations/9",
            "interactionPolicy": {"canQuote": {"automaticApproval": "https://www.w3.org/ns/activitystreams#Public"}}}
    [node] = expand(note)
    assert node[fep044f + "quote"] == [{"@id": "https://remote.test/notes/1"}]
    assert node["http://fedibird.com/ns#quoteUri"] == [{"@value": "https://remote.test/notes/1"}]
    assert node["https://misskey-hub.net/ns#_misskey_quote"] == [{"@value": "https://remote.test/notes/1"}]
    assert node[fep044f + "quoteAuthorization"] == [{"@id": "https://remote.test/users/bob/quote_authorizations/9"}]
    policy = node[gts + "interactionPolicy"][0][gts + "canQuote"][0]
    assert policy[gts + "automaticApproval"] == [{"@id": AS + "Public"}]

    authorization = {"@context": AS_CONTEXT, "id": "https://local.test/users/alice/quote_authorizations/9",
                     "type": "QuoteAuthorization", "attributedTo": "https://local.test/users/alice",
                     "interactingObject": "https://remote.test/notes/5", "interactionTarget": note["id"]}
    [node] = expand(authorization)
    assert node["@type"] == [fep044f + "QuoteAuthorization"]
    assert node[gts + "interactingObject"] == [{"@id": "https://remote.test/notes/5"}]
    assert node[gts + "interactionTarget"] == [{"@id": note["id"]}]

    event = {"@context": AS_CONTEXT, "id": "https://local.test/chats/7", "type": "Event", "name": "#TalkTech",
             "startTime": "2026-12-01T17:00:00Z", "joinMode": "free"}
    [node] = expand(event)
    assert node["https://joinmobilizon.org/ns#joinMode"] == [{"@value": "free"}]

    actor = {"@context": ACTOR_CONTEXT, "id": "https://local.test/users/alice", "type": "Person",
             "assertionMethod": [{"id": "https://local.test/users/alice#ed25519-key", "type": "Multikey",
                                  "controller": "https://local.test/users/alice",
                                  "publicKeyMultibase": "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"}]}
    [node] = expand(actor)
    [key] = node["https://w3id.org/security#assertionMethod"]
    assert key["@type"] == ["https://w3id.org/security#Multikey"]
    assert key["https://w3id.org/security#publicKeyMultibase"][0]["@value"].startswith("z6Mk")
