"""HTTP signatures: what we send verifies, and what Mastodon's rules refuse we refuse.

Requests signed "by a remote server" are built here by hand, from the spec's
signing-string layout, so the verifier is not only checked against our own signer.
"""

import asyncio
import base64
import hashlib
import time
from email.utils import formatdate
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from multidict import CIMultiDict, CIMultiDictProxy

from federation import httpsig
from federation.httpsig import (
    SignatureError,
    body_digest_header,
    content_digest_header,
    generate_key_pair,
    load_private_key,
    load_public_key,
    sign_request_cavage,
    sign_request_rfc9421,
    verify_request,
)

PRIV, PUB = generate_key_pair()
OLD_PRIV, OLD_PUB = generate_key_pair()

NOW = 1_700_000_000.0
DATE = formatdate(NOW, usegmt=True)
KEY_ID = "https://a.example/users/alice#main-key"
INBOX = "https://b.example/users/bob/inbox"
OUTBOX = "https://b.example/users/bob/outbox?page=2"
BODY = b'{"type":"Follow","actor":"https://a.example/users/alice"}'


class Keys:
    """A key_lookup that records its calls; `refreshed` is what a refetch returns."""

    def __init__(self, cached=PUB, refreshed=None):
        self.cached, self.refreshed, self.calls = cached, refreshed, []

    async def __call__(self, key_id, refresh):
        self.calls.append((key_id, refresh))
        return self.refreshed if refresh else self.cached


def verify(method, url, headers, body, keys=None, now=NOW):
    return asyncio.run(verify_request(method, url, headers, body, keys or Keys(), now=now))


def refusal(method, url, headers, body, keys=None, now=NOW):
    with pytest.raises(SignatureError) as err:
        verify(method, url, headers, body, keys, now)
    return str(err.value)


def b64(data):
    return base64.b64encode(data).decode()


def rsa_sign(text, key=PRIV):
    return load_private_key(key).sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())


def cavage_signature(lines, algorithm="rsa-sha256", key=PRIV):
    """A Signature header over exactly `lines` (name -> value), as a remote server builds it."""
    text = "\n".join(f"{name}: {value}" for name, value in lines.items())
    return (
        f'keyId="{KEY_ID}",algorithm="{algorithm}",headers="{" ".join(lines)}",'
        f'signature="{b64(rsa_sign(text, key))}"'
    )


def rfc9421_headers(values, params, sign=rsa_sign):
    """Signature-Input and Signature over `values` (component -> value), built per RFC 9421 §2.5."""
    inner = "(" + " ".join(f'"{name}"' for name in values) + ")" + params
    base = "".join(f'"{name}": {value}\n' for name, value in values.items())
    base += f'"@signature-params": {inner}'
    return {"Signature-Input": f"sig1={inner}", "Signature": f"sig1=:{b64(sign(base))}:"}


def signed_post(now=NOW):
    return sign_request_cavage("POST", INBOX, {"Content-Type": "application/activity+json"},
                               BODY, KEY_ID, PRIV, now=now)


def hand_signed_post(digest, *, digest_signed=True):
    """Headers of a POST to INBOX signed over (request-target), host, date and, unless told not
    to, the Digest header `digest` (sent as given; none when None): for digests a signer would not make."""
    lines = {"(request-target)": "post /users/bob/inbox", "host": "b.example", "date": DATE}
    headers = {"Host": "b.example", "Date": DATE}
    if digest is not None:
        headers["Digest"] = digest
        if digest_signed:
            lines["digest"] = digest
    headers["Signature"] = cavage_signature(lines)
    return headers


# --- draft-cavage: accepted ----------------------------------------------------


def test_cavage_get_signed_with_query_in_request_target_is_accepted():
    headers = sign_request_cavage("GET", OUTBOX, None, None, KEY_ID, PRIV, now=NOW)

    result = verify("GET", OUTBOX, headers, None)

    assert result == httpsig.VerifiedSignature(
        KEY_ID, "cavage", ("(request-target)", "host", "date"))


def test_cavage_get_signed_without_query_in_request_target_is_accepted():
    # Given a GET signed the bovine/Fedify way: the query left out of (request-target)
    headers = {"Host": "b.example", "Date": DATE}
    headers["Signature"] = cavage_signature(
        {"(request-target)": "get /users/bob/outbox", "host": "b.example", "date": DATE})

    assert verify("GET", OUTBOX, headers, None).key_id == KEY_ID


def test_cavage_post_is_accepted_and_sends_the_expected_headers():
    headers = signed_post()

    assert headers["Digest"] == "SHA-256=" + b64(hashlib.sha256(BODY).digest())
    assert headers["Host"] == "b.example" and headers["Date"] == DATE
    assert headers["Content-Type"] == "application/activity+json"
    assert verify("POST", INBOX, headers, BODY).covered[-1] == "digest"


def test_hs2019_label_is_accepted():
    headers = {"Host": "b.example", "Date": DATE}
    headers["Signature"] = cavage_signature(
        {"(request-target)": "get /users/bob/outbox?page=2", "host": "b.example", "date": DATE},
        algorithm="hs2019")

    assert verify("GET", OUTBOX, headers, None).scheme == "cavage"


def test_created_may_stand_in_for_date():
    created = str(int(NOW))
    headers = {"Host": "b.example"}
    headers["Signature"] = cavage_signature(
        {"(request-target)": "get /users/bob/outbox?page=2", "host": "b.example",
         "(created)": created}, algorithm="hs2019") + f",created={created}"

    assert "(created)" in verify("GET", OUTBOX, headers, None).covered


def test_authorization_signature_header_is_accepted():
    headers = signed_post()
    headers["Authorization"] = "Signature " + headers.pop("Signature")

    assert verify("POST", INBOX, headers, BODY).key_id == KEY_ID


def test_headers_are_case_insensitive_in_a_plain_dict_and_a_multidict():
    headers = {name.upper(): value for name, value in signed_post().items()}

    assert verify("POST", INBOX, headers, BODY)
    assert verify("POST", INBOX, CIMultiDictProxy(CIMultiDict(headers)), BODY)


def test_sha512_digest_is_accepted():
    headers = hand_signed_post("SHA-512=" + b64(hashlib.sha512(BODY).digest()))

    assert verify("POST", INBOX, headers, BODY)


def test_date_one_hour_off_is_accepted():
    headers = sign_request_cavage("GET", OUTBOX, None, None, KEY_ID, PRIV, now=NOW - 3600)

    assert verify("GET", OUTBOX, headers, None)


# --- draft-cavage: refused -----------------------------------------------------


def test_unsigned_request_is_refused():
    assert refusal("POST", INBOX, {"Host": "b.example"}, BODY) == "request is not signed"


def test_tampered_body_is_refused():
    headers = signed_post()

    assert "does not match the body" in refusal("POST", INBOX, headers, b'{"type":"Delete"}')


def test_digest_header_not_covered_is_refused():
    # Given a POST whose Digest is sent but left out of the signed headers
    headers = hand_signed_post(body_digest_header(BODY), digest_signed=False)

    assert "not signed" in refusal("POST", INBOX, headers, BODY)


def test_wrong_digest_is_refused_even_when_signed():
    headers = hand_signed_post(body_digest_header(b"something else"))

    assert "does not match the body" in refusal("POST", INBOX, headers, BODY)


def test_body_without_digest_header_is_refused():
    headers = hand_signed_post(None)

    assert "no Digest header" in refusal("POST", INBOX, headers, BODY)


def test_unknown_digest_algorithm_alone_is_refused():
    headers = hand_signed_post("MD5=" + b64(hashlib.md5(BODY).digest()))

    assert "no supported algorithm" in refusal("POST", INBOX, headers, BODY)


def test_wrong_path_is_refused():
    headers = signed_post()

    assert refusal("POST", "https://b.example/inbox", headers, BODY) == "signature does not verify"


def test_wrong_method_is_refused():
    headers = signed_post()

    assert refusal("PUT", INBOX, headers, BODY) == "signature does not verify"


def test_wrong_host_is_refused():
    # Given a request replayed to another server, Host rewritten to match
    headers = signed_post()
    headers["Host"] = "c.example"

    assert refusal("POST", "https://c.example/users/bob/inbox", headers, BODY) == (
        "signature does not verify")


def test_host_header_not_matching_the_url_is_refused():
    headers = signed_post()

    assert "does not match the request URL" in refusal(
        "POST", "https://c.example/users/bob/inbox", headers, BODY)


@pytest.mark.parametrize("offset", [-13 * 3600, 13 * 3600])
def test_date_13_hours_off_is_refused(offset):
    headers = signed_post(now=NOW + offset)

    assert "time window" in refusal("POST", INBOX, headers, BODY)


def test_expired_signature_is_refused():
    headers = signed_post()
    headers["Signature"] += f",expires={int(NOW) - 60}"

    assert "expired" in refusal("POST", INBOX, headers, BODY)


@pytest.mark.parametrize("covered, message", [
    ("host date", "(request-target) is not signed"),
    ("(request-target) date", "Host header is not signed"),
    ("(request-target) host", "neither Date nor (created) is signed"),
])
def test_required_headers_must_be_covered(covered, message):
    headers = {"Host": "b.example", "Date": DATE,
               "Signature": f'keyId="{KEY_ID}",headers="{covered}",signature="AAAA"'}

    assert refusal("GET", OUTBOX, headers, None) == message


def test_missing_signed_header_is_refused():
    headers = sign_request_cavage("GET", OUTBOX, None, None, KEY_ID, PRIV, now=NOW)
    del headers["Date"]

    assert "'date' is missing" in refusal("GET", OUTBOX, headers, None)


def test_unsupported_algorithm_is_refused():
    headers = signed_post()
    headers["Signature"] = headers["Signature"].replace("rsa-sha256", "rsa-sha1")

    assert "unsupported signature algorithm" in refusal("POST", INBOX, headers, BODY)


@pytest.mark.parametrize("garbage", [
    "", "garbage", 'keyId="k"', 'keyId="k",signature="!!!"', 'keyId="k,signature="x"',
    'keyId="k",headers="(request-target) host date",signature="AAAA",created=soon',
    "Signature", "=,=,=", 'keyId="k",signature="AAAA",headers="date",,',
])
def test_garbage_signature_header_gives_signature_error(garbage):
    refusal("GET", OUTBOX, {"Host": "b.example", "Date": DATE, "Signature": garbage}, None)


def test_every_truncation_of_a_signature_header_gives_signature_error():
    headers = signed_post()
    full = headers["Signature"]
    for cut in range(len(full)):
        headers["Signature"] = full[:cut]
        refusal("POST", INBOX, headers, BODY)


def test_garbage_date_gives_signature_error():
    headers = signed_post()
    headers["Date"] = "yesterday-ish"

    refusal("POST", INBOX, headers, BODY)


# --- keys ----------------------------------------------------------------------


def test_unknown_key_is_refused():
    assert refusal("POST", INBOX, signed_post(), BODY, Keys(cached=None)) == "unknown key"


def test_rotated_key_is_refetched_once_and_accepted():
    # Given a cache still holding the actor's old key
    keys = Keys(cached=OLD_PUB, refreshed=PUB)

    verify("POST", INBOX, signed_post(), BODY, keys)

    assert keys.calls == [(KEY_ID, False), (KEY_ID, True)]


def test_wrong_key_is_refused_after_exactly_one_refetch():
    keys = Keys(cached=OLD_PUB, refreshed=OLD_PUB)

    assert refusal("POST", INBOX, signed_post(), BODY, keys) == "signature does not verify"
    assert keys.calls == [(KEY_ID, False), (KEY_ID, True)]


def test_key_pair_round_trips_through_the_loaders():
    message = b"hello"
    signature = load_private_key(PRIV).sign(message, padding.PKCS1v15(), hashes.SHA256())

    load_public_key(PUB).verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    assert load_public_key(PUB) is load_public_key(PUB)  # cached


# --- RFC 9421 ------------------------------------------------------------------


def test_rfc9421_get_is_accepted():
    headers = sign_request_rfc9421("GET", OUTBOX, {"Accept": "application/activity+json"},
                                   None, KEY_ID, PRIV, now=NOW)

    assert headers["Signature-Input"] == (
        f'sig1=("@method" "@target-uri");created={int(NOW)};keyid="{KEY_ID}";alg="rsa-v1_5-sha256"')
    assert verify("GET", OUTBOX, headers, None) == httpsig.VerifiedSignature(
        KEY_ID, "rfc9421", ("@method", "@target-uri"))


def test_rfc9421_post_is_accepted():
    headers = sign_request_rfc9421("POST", INBOX, None, BODY, KEY_ID, PRIV, now=NOW)

    assert headers["Content-Digest"] == f"sha-256=:{b64(hashlib.sha256(BODY).digest())}:"
    assert verify("POST", INBOX, headers, BODY).covered[-1] == "content-digest"


def test_rfc9421_base_built_by_hand_verifies():
    # Given a remote server's signature with another label and no alg (inferred from the RSA key)
    values = {"@method": "POST", "@path": "/users/bob/inbox", "@authority": "b.example",
              "content-digest": content_digest_header(BODY)}
    headers = rfc9421_headers(values, f';created={int(NOW)};keyid="{KEY_ID}"')
    headers["Signature-Input"] = headers["Signature-Input"].replace("sig1", "b")
    headers["Signature"] = headers["Signature"].replace("sig1", "b")
    headers["Content-Digest"] = values["content-digest"]

    assert verify("POST", INBOX, headers, BODY).covered == tuple(values)


def test_rfc9421_rsa_pss_sha512_is_accepted():
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
    values = {"@method": "GET", "@target-uri": OUTBOX}
    headers = rfc9421_headers(
        values, f';created={int(NOW)};keyid="{KEY_ID}";alg="rsa-pss-sha512"',
        sign=lambda text: load_private_key(PRIV).sign(text.encode(), pss, hashes.SHA512()))

    assert verify("GET", OUTBOX, headers, None).scheme == "rfc9421"


def test_rfc9421_ed25519_is_accepted():
    key = ed25519.Ed25519PrivateKey.generate()
    public_pem = key.public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    values = {"@method": "GET", "@target-uri": OUTBOX}
    headers = rfc9421_headers(values, f';created={int(NOW)};keyid="{KEY_ID}";alg="ed25519"',
                              sign=lambda text: key.sign(text.encode()))

    assert verify("GET", OUTBOX, headers, None, Keys(cached=public_pem)).key_id == KEY_ID


def test_rfc9421_tampered_content_digest_is_refused():
    # Given an attacker swapping the body and its Content-Digest together
    headers = sign_request_rfc9421("POST", INBOX, None, BODY, KEY_ID, PRIV, now=NOW)
    forged = b'{"type":"Delete"}'
    headers["Content-Digest"] = content_digest_header(forged)

    assert refusal("POST", INBOX, headers, forged) == "signature does not verify"


def test_rfc9421_wrong_body_is_refused():
    headers = sign_request_rfc9421("POST", INBOX, None, BODY, KEY_ID, PRIV, now=NOW)

    assert "does not match the body" in refusal("POST", INBOX, headers, b"{}")


def test_rfc9421_wrong_uri_is_refused():
    headers = sign_request_rfc9421("GET", OUTBOX, None, None, KEY_ID, PRIV, now=NOW)

    assert refusal("GET", OUTBOX + "0", headers, None) == "signature does not verify"


@pytest.mark.parametrize("values, params, message", [
    ({"@target-uri": OUTBOX}, f';created={int(NOW)};keyid="k"', "@method is not signed"),
    ({"@method": "GET", "@path": "/users/bob/outbox"}, f';created={int(NOW)};keyid="k"',
     "neither @target-uri nor @path and @authority are signed"),
    ({"@method": "GET", "@target-uri": OUTBOX}, ';keyid="k"', "Signature-Input lacks created"),
    ({"@method": "GET", "@target-uri": OUTBOX}, f";created={int(NOW)}",
     "Signature-Input lacks keyid"),
    ({"@method": "GET", "@target-uri": OUTBOX}, f';created={int(NOW) - 13 * 3600};keyid="k"',
     "signature creation time is outside the accepted time window"),
    ({"@method": "GET", "@target-uri": OUTBOX},
     f';created={int(NOW)};keyid="k";alg="hmac-sha256"',
     "unsupported signature algorithm 'hmac-sha256'"),
])
def test_rfc9421_policy_refusals(values, params, message):
    assert refusal("GET", OUTBOX, rfc9421_headers(values, params), None) == message


def test_rfc9421_post_without_content_digest_is_refused():
    values = {"@method": "POST", "@target-uri": INBOX}
    headers = rfc9421_headers(values, f';created={int(NOW)};keyid="{KEY_ID}"')

    assert "no Digest header" in refusal("POST", INBOX, headers, BODY)


@pytest.mark.parametrize("signature_input, signature", [
    ("", "sig1=:AAAA:"), ("sig1", "sig1=:AAAA:"), ("sig1=(", "sig1=:AAAA:"),
    ('sig1=("@method" "@target-uri");created=1.5', "sig1=:AAAA:"),
    ('sig1=("@method" "@target-uri");created=1;keyid="k"', "other=:AAAA:"),
    ('sig1=("@method" "@target-uri");created=1;keyid="k"', "sig1=:!!:"),
    ('Sig1=("@method")', "Sig1=:AAAA:"), ('sig1=("@method";x=1)', "sig1=:AAAA:"),
])
def test_rfc9421_garbage_gives_signature_error(signature_input, signature):
    headers = {"Signature-Input": signature_input, "Signature": signature}

    refusal("GET", OUTBOX, headers, None)


# RFC 9421 Appendix B.2.6 (Ed25519 is deterministic, so the published signature must verify).
RFC_ED25519_PUBLIC = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
"""
RFC_B26_INPUT = ('sig-b26=("date" "@method" "@path" "@authority" "content-type" '
                 '"content-length");created=1618884473;keyid="test-key-ed25519"')
RFC_B26_SIGNATURE = ("wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lI"
                     "p5WPpBKRCw==")
RFC_B26_BASE = (
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n"@method": POST\n"@path": /foo\n'
    '"@authority": example.com\n"content-type": application/json\n"content-length": 18\n'
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" '
    '"content-length");created=1618884473;keyid="test-key-ed25519"')
RFC_REQUEST_HEADERS = {
    "Host": "example.com", "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json", "Content-Length": "18",
}


def test_rfc9421_appendix_b26_signature_base_and_signature():
    # Given the RFC's example request and its Signature-Input
    (items, params), = httpsig._parse_sf_dictionary(RFC_B26_INPUT).values()
    components = httpsig._rfc9421_components(items)
    headers = {k.lower(): v for k, v in RFC_REQUEST_HEADERS.items()}

    # When we rebuild the signature base
    base = httpsig._rfc9421_base(components, httpsig._sf_signature_params(components, params),
                                 "POST", "https://example.com/foo?param=Value&Pet=dog", headers)

    # Then it is the RFC's, byte for byte, and the published signature verifies over it
    assert base == RFC_B26_BASE.encode()
    load_public_key(RFC_ED25519_PUBLIC).verify(base64.b64decode(RFC_B26_SIGNATURE), base)


def test_rfc9421_appendix_b26_request_is_refused_for_its_unsigned_body():
    headers = dict(RFC_REQUEST_HEADERS, **{"Signature-Input": RFC_B26_INPUT,
                                           "Signature": f"sig-b26=:{RFC_B26_SIGNATURE}:"})

    assert "no Digest header" in refusal(
        "POST", "https://example.com/foo?param=Value&Pet=dog", headers, b'{"hello": "world"}',
        Keys(cached=RFC_ED25519_PUBLIC), now=1618884473)


# --- a second implementation (skipped unless installed) ------------------------


def test_http_message_signatures_package_agrees():
    hms = pytest.importorskip("http_message_signatures")

    class Resolver(hms.HTTPSignatureKeyResolver):
        def resolve_public_key(self, key_id):
            return PUB.encode()

        def resolve_private_key(self, key_id):
            return PRIV.encode()

    algorithm = hms.algorithms.RSA_V1_5_SHA256
    # Given their signature on a POST, ours accepts it
    theirs = SimpleNamespace(method="POST", url=INBOX,
                             headers={"Content-Digest": content_digest_header(BODY)})
    hms.HTTPMessageSigner(signature_algorithm=algorithm, key_resolver=Resolver()).sign(
        theirs, key_id=KEY_ID, covered_component_ids=("@method", "@target-uri", "content-digest"),
        body=BODY, use_existing_digest=True)
    assert verify("POST", INBOX, theirs.headers, BODY, now=None).scheme == "rfc9421"
    # And our signature passes theirs
    ours = SimpleNamespace(method="POST", url=INBOX,
                           headers=sign_request_rfc9421("POST", INBOX, None, BODY, KEY_ID, PRIV))
    hms.HTTPMessageVerifier(signature_algorithm=algorithm, key_resolver=Resolver()).verify(ours)


def test_httpsig_package_agrees():
    httpsig_package = pytest.importorskip("httpsig")
    covered = ["(request-target)", "host", "date", "digest"]
    headers = {"Host": "b.example", "Date": formatdate(time.time(), usegmt=True),
               "Digest": body_digest_header(BODY)}
    # Given their Authorization: Signature header, ours accepts it
    theirs = httpsig_package.HeaderSigner(KEY_ID, PRIV, algorithm="rsa-sha256", headers=covered)
    signed = dict(theirs.sign(headers, method="POST", path="/users/bob/inbox"))
    assert verify("POST", INBOX, signed, BODY, now=None).covered == tuple(covered)
    # And our Signature header passes theirs
    ours = sign_request_cavage("POST", INBOX, None, BODY, KEY_ID, PRIV)
    assert httpsig_package.HeaderVerifier(ours, PUB, method="POST", path="/users/bob/inbox",
                                          sign_header="signature").verify()
