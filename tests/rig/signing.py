"""Hand-made draft-cavage signatures with a chosen header list, for tests of what a node refuses."""
from __future__ import annotations

import base64
import functools
import hashlib
from email.utils import formatdate
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


@functools.cache
def client_signer():  # noqa: ANN201
    """A federation.http.Signer with a key made once per test run, for requests made by the client itself."""
    from federation import httpsig
    from federation.http import Signer

    private_pem, public_pem = httpsig.generate_key_pair()
    return Signer("http://sender.test/users/sender#main-key", private_pem), public_pem


def digest(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def sign_cavage(method: str, url: str, body: bytes | None, key_id: str, private_pem: str, *,
                covered: list[str], date: float | None = None, host: str | None = None,
                extra: dict | None = None) -> dict:
    """Headers for a request signed over exactly `covered` (e.g. ["(request-target)", "host", "date"])."""
    parts = urlsplit(url)
    headers = {"Host": host or parts.netloc, "Date": formatdate(date, usegmt=True),
               "Content-Type": "application/activity+json", **(extra or {})}
    if body is not None:
        headers.setdefault("Digest", digest(body))
    target = f"{method.lower()} {parts.path}" + (f"?{parts.query}" if parts.query else "")
    lines = []
    lower = {k.lower(): v for k, v in headers.items()}
    for name in covered:
        lines.append(f"{name}: {target}" if name == "(request-target)" else f"{name}: {lower[name]}")
    key = serialization.load_pem_private_key(private_pem.encode(), None)
    signature = key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["Signature"] = (f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(covered)}",'
                            f'signature="{base64.b64encode(signature).decode()}"')
    return headers
