"""Web Push without I/O: message encryption (RFC 8291 over aes128gcm, RFC 8188) and VAPID (RFC 8292).

The worker in outbox/webpush.py does the sending; this module only turns bytes into bytes, so it
is testable with fixed keys and no network.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

RECORD_SIZE = 4096  # one record holds the whole message (RFC 8291 §4)
TAG_BYTES = 16
# The largest plaintext one record of RECORD_SIZE carries: the tag and the 0x02 delimiter take 17.
MAX_PLAINTEXT = RECORD_SIZE - TAG_BYTES - 1
JWT_LIFETIME = 12 * 3600  # RFC 8292 §2: no more than 24 hours


class InvalidSubscriptionKey(ValueError):
    """p256dh is not an uncompressed P-256 point, or auth is not 16 bytes."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    text = text.strip().replace("+", "-").replace("/", "_").rstrip("=")  # browsers send either alphabet
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_bytes(key: ec.EllipticCurvePublicKey) -> bytes:
    """The uncompressed point, 65 bytes starting with 0x04 (X9.62)."""
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def _hkdf_one_block(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA-256 (RFC 5869) for outputs of at most one hash block, as RFC 8291 and 8188 need."""
    prk = _hmac(salt, ikm)
    return _hmac(prk, info + b"\x01")[:length]


def subscription_keys(p256dh: str, auth: str) -> tuple[ec.EllipticCurvePublicKey, bytes]:
    """Check and decode a subscription's keys as a browser sends them (base64url)."""
    try:
        raw_key, secret = b64url_decode(p256dh), b64url_decode(auth)
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw_key)
    except ValueError:
        raise InvalidSubscriptionKey("p256dh is not a P-256 public key") from None
    if len(raw_key) != 65 or len(secret) != 16:
        raise InvalidSubscriptionKey("p256dh must be an uncompressed point and auth 16 bytes")
    return key, secret


def derive(shared_secret: bytes, auth_secret: bytes, ua_public: bytes, as_public: bytes,
           salt: bytes) -> tuple[bytes, bytes]:
    """RFC 8291 §3.4 then RFC 8188 §2.2-2.3: the content-encryption key and the nonce."""
    key_info = b"WebPush: info\x00" + ua_public + as_public
    ikm = _hkdf_one_block(auth_secret, shared_secret, key_info, 32)
    cek = _hkdf_one_block(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = _hkdf_one_block(salt, ikm, b"Content-Encoding: nonce\x00", 12)
    return cek, nonce


def encrypt(plaintext: bytes, p256dh: str, auth: str, *, salt: bytes | None = None,
            sender_key: ec.EllipticCurvePrivateKey | None = None) -> bytes:
    """One aes128gcm message for a subscription: header (salt, rs, keyid = our ephemeral public key)
    and a single record. `salt` and `sender_key` are for tests; leave them to be fresh each time."""
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError(f"a push message carries at most {MAX_PLAINTEXT} bytes")
    ua_key, auth_secret = subscription_keys(p256dh, auth)
    sender_key = sender_key or ec.generate_private_key(ec.SECP256R1())
    salt = salt or os.urandom(16)
    as_public = public_bytes(sender_key.public_key())
    shared = sender_key.exchange(ec.ECDH(), ua_key)
    cek, nonce = derive(shared, auth_secret, public_bytes(ua_key), as_public, salt)
    # The last (and only) record ends with the delimiter 0x02; no padding beyond it.
    record = AESGCM(cek).encrypt(nonce, plaintext + b"\x02", None)
    header = salt + struct.pack("!I", RECORD_SIZE) + bytes([len(as_public)]) + as_public
    return header + record


# --- VAPID (RFC 8292) ---------------------------------------------------------------------------

@dataclass(frozen=True)
class VapidKey:
    private_key: ec.EllipticCurvePrivateKey

    @property
    def public_key(self) -> str:
        """base64url of the uncompressed point: `k=` in the header, `vapid_key` for clients."""
        return b64url(public_bytes(self.private_key.public_key()))

    def jwt(self, audience: str, subject: str, *, now: float | None = None) -> str:
        """An ES256 JWT (RFC 7515/7519) for one push service origin."""
        now = time.time() if now is None else now
        header = b64url(json.dumps({"typ": "JWT", "alg": "ES256"}, separators=(",", ":")).encode())
        claims = b64url(json.dumps({"aud": audience, "exp": int(now) + JWT_LIFETIME, "sub": subject},
                                   separators=(",", ":")).encode())
        signing_input = f"{header}.{claims}".encode()
        r, s = decode_dss_signature(self.private_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return f"{header}.{claims}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def authorization(self, audience: str, subject: str) -> str:
        return f"vapid t={self.jwt(audience, subject)}, k={self.public_key}"


def new_vapid_pem() -> str:
    """A fresh P-256 private key, PKCS#8 PEM (stored in the database: backchannel.secrets)."""
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def vapid_from_pem(pem: str) -> VapidKey:
    """Raises ValueError for anything but a P-256 private key."""
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("not a P-256 private key")
    return VapidKey(key)
