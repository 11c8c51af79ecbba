"""Object integrity proofs (FEP-8b32, the `eddsa-jcs-2022` cryptosuite): who signed a document that
reached us through someone else, such as a Create a group relays inside its Announce.

The proof covers the whole document as it was signed (JSON canonicalization, RFC 8785), so the
relaying server can neither forge nor alter it. The key is the author's Multikey, listed in its
actor's `assertionMethod` and fetched from the actor's own origin. Fedify adds such a proof to every
activity it sends (and a Linked Data signature after it, which is therefore not part of what the
proof covers).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from urllib.parse import urldefrag

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from federation import deref
from federation.as2 import host_of, object_id
from federation.http import FetchError
from federation.runtime import Runtime

log = logging.getLogger(__name__)

CRYPTOSUITE = "eddsa-jcs-2022"
DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v1"
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ED25519_MULTICODEC = b"\xed\x01"


def canonical(doc: object) -> bytes:
    """RFC 8785 for the documents proofs cover (strings, integers, booleans, lists and objects)."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def base58btc(text: str) -> bytes:
    number = 0
    for char in text:
        index = _ALPHABET.find(char)
        if index < 0:
            raise ValueError("not base58btc")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def base58btc_encode(data: bytes) -> str:
    number, out = int.from_bytes(data, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        out = _ALPHABET[digit] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def multibase(value: object) -> bytes | None:
    if not isinstance(value, str) or not value.startswith("z"):
        return None
    try:
        return base58btc(value[1:])
    except ValueError:
        return None


def proof_input(doc: dict, proof: dict) -> bytes:
    """What the signature covers: the proof's configuration's hash, then the document's."""
    config = {k: v for k, v in proof.items() if k not in ("proofValue", "@context")}
    config["@context"] = doc.get("@context")
    unsigned = {k: v for k, v in doc.items() if k not in ("proof", "signature")}
    return hashlib.sha256(canonical(config)).digest() + hashlib.sha256(canonical(unsigned)).digest()


# --- This node's own proofs ------------------------------------------------------------------------
# Each local actor's Ed25519 key is derived from the node's shared secret and the actor's id, so every
# process signs with the same key and nothing new is stored; a new secret means new keys, which
# verifiers read again from the actor document.

def _private_key(secret: bytes, actor_uri: str) -> Ed25519PrivateKey:
    seed = hmac.new(secret, b"fep-8b32 object integrity " + actor_uri.encode(), hashlib.sha256).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def key_id(actor_uri: str) -> str:
    return f"{actor_uri}#ed25519-key"


def multikey(secret: bytes, actor_uri: str) -> dict:
    """The actor's key as its document lists it under `assertionMethod`."""
    public = _private_key(secret, actor_uri).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"id": key_id(actor_uri), "type": "Multikey", "controller": actor_uri,
            "publicKeyMultibase": "z" + base58btc_encode(_ED25519_MULTICODEC + public)}


def sign(doc: dict, secret: bytes, actor_uri: str, *, created: float | None = None) -> dict:
    """`doc` (an activity by `actor_uri`) with its proof; the data-integrity context is added to it."""
    context = doc.get("@context")
    context = context if isinstance(context, list) else [context] if context else []
    if DATA_INTEGRITY_CONTEXT not in context:
        doc = {**doc, "@context": [*context, DATA_INTEGRITY_CONTEXT]}
    proof = {"type": "DataIntegrityProof", "cryptosuite": CRYPTOSUITE, "verificationMethod": key_id(actor_uri),
             "proofPurpose": "assertionMethod",
             "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created or time.time()))}
    signature = _private_key(secret, actor_uri).sign(proof_input(doc, proof))
    return {**doc, "proof": {**proof, "proofValue": "z" + base58btc_encode(signature)}}


def verify_with(doc: dict, proof: dict, public_key: bytes) -> bool:
    signature = multibase(proof.get("proofValue"))
    if signature is None or len(public_key) != 32:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, proof_input(doc, proof))
    except (InvalidSignature, ValueError):
        return False
    return True


def _proofs(doc: dict) -> list[dict]:
    proofs = doc.get("proof")
    proofs = proofs if isinstance(proofs, list) else [proofs]
    return [p for p in proofs if isinstance(p, dict) and p.get("cryptosuite") == CRYPTOSUITE
            and p.get("proofPurpose") == "assertionMethod" and isinstance(p.get("verificationMethod"), str)]


async def _actor_key(rt: Runtime, key_id: str) -> tuple[str, bytes] | None:
    """(controller, Ed25519 public key) of a Multikey, read from its controller's actor document."""
    actor_uri = urldefrag(key_id)[0]
    try:
        actor = await deref.fetch_document(rt, actor_uri)
    except (FetchError, ValueError) as err:
        log.info("cannot fetch the key %s: %s", key_id, err)
        return None
    methods = actor.get("assertionMethod")
    for method in methods if isinstance(methods, list) else [methods]:
        if not isinstance(method, dict) or method.get("id") != key_id:
            continue
        if object_id(method.get("controller")) != object_id(actor):
            return None
        raw = multibase(method.get("publicKeyMultibase"))
        if raw and raw.startswith(_ED25519_MULTICODEC):
            return object_id(actor) or "", raw[len(_ED25519_MULTICODEC):]
    return None


async def proven_by(rt: Runtime, doc: dict) -> str | None:
    """The actor whose key signed `doc` with a valid proof (None: no proof, or none that holds).
    A key speaks only for an actor on its own host."""
    for proof in _proofs(doc):
        found = await _actor_key(rt, proof["verificationMethod"])
        if found is None:
            continue
        controller, public_key = found
        if host_of(controller) == host_of(proof["verificationMethod"]) and verify_with(doc, proof, public_key):
            return controller
    return None
