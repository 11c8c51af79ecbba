"""Object integrity proofs (FEP-8b32, eddsa-jcs-2022): a proof made with the author's key holds; a
copy that someone changed, or a proof made with another key, does not. (The real Fedify peer's
proofs are checked end to end in tests/groups.)"""
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from federation import integrity

def b58(data: bytes) -> str:
    return integrity.base58btc_encode(data)


def signed(doc: dict, key: Ed25519PrivateKey) -> dict:
    proof = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
             "verificationMethod": "https://peer.example/users/ana#ed25519-key", "proofPurpose": "assertionMethod",
             "created": "2026-11-29T06:00:00Z"}
    proof["proofValue"] = "z" + b58(key.sign(integrity.proof_input(doc, proof)))
    return {**doc, "proof": proof}


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


CREATE = {"@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v1"],
          "id": "https://peer.example/activities/1", "type": "Create", "actor": "https://peer.example/users/ana",
          "to": "https://hub.example/users/practice",
          "object": {"id": "https://peer.example/notes/1", "type": "Note", "content": "<p>héllo</p>",
                     "attributedTo": "https://peer.example/users/ana", "to": "https://hub.example/users/practice"}}


def test_a_proof_by_the_authors_key_holds_and_any_change_breaks_it():
    key = Ed25519PrivateKey.generate()
    doc = signed(CREATE, key)
    assert integrity.verify_with(doc, doc["proof"], raw(key))
    # A Linked Data signature added after the proof (as Fedify does) is not part of what it covers.
    assert integrity.verify_with({**doc, "signature": {"type": "RsaSignature2017"}}, doc["proof"], raw(key))
    altered = {**doc, "object": {**doc["object"], "content": "<p>forged</p>"}}
    assert not integrity.verify_with(altered, doc["proof"], raw(key))
    widened = {**doc, "to": "https://www.w3.org/ns/activitystreams#Public"}
    assert not integrity.verify_with(widened, doc["proof"], raw(key))
    assert not integrity.verify_with(doc, doc["proof"], raw(Ed25519PrivateKey.generate()))
    assert not integrity.verify_with(doc, {**doc["proof"], "created": "2026-11-29T07:00:00Z"}, raw(key))


def test_multikeys_decode_as_fep_8b32_writes_them():
    key = Ed25519PrivateKey.generate()
    encoded = "z" + b58(b"\xed\x01" + raw(key))
    assert encoded.startswith("z6Mk")  # every Ed25519 Multikey does
    assert integrity.multibase(encoded) == b"\xed\x01" + raw(key)
    assert integrity.multibase("u-not-base58") is None and integrity.multibase("z0OIl") is None


def test_this_nodes_proofs_hold_with_the_key_its_actor_document_lists():
    secret, actor = b"s" * 32, "https://learn.acme.example/users/alice"
    doc = integrity.sign(CREATE, secret, actor)
    assert integrity.DATA_INTEGRITY_CONTEXT in doc["@context"] and doc["proof"]["verificationMethod"] == (
        integrity.key_id(actor))
    key = integrity.multikey(secret, actor)
    assert key["controller"] == actor and key["id"] == doc["proof"]["verificationMethod"]
    public = integrity.multibase(key["publicKeyMultibase"])[2:]
    assert integrity.verify_with(doc, doc["proof"], public)
    # Another actor's key (and another node's secret) is another key.
    assert integrity.multikey(secret, actor + "x")["publicKeyMultibase"] != key["publicKeyMultibase"]
    assert integrity.multikey(b"t" * 32, actor)["publicKeyMultibase"] != key["publicKeyMultibase"]
