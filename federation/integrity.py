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
import json
import logging
from urllib.parse import urldefrag

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation import deref
from federation.as2 import host_of, object_id
from federation.http import FetchError
from federation.runtime import Runtime

log = logging.getLogger(__name__)

CRYPTOSUITE = "eddsa-jcs-2022"
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
