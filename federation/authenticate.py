"""Who signed this request: HTTP signature verification plus the key's owner, for the inbox and
for signed fetches alike."""
from __future__ import annotations

from typing import Mapping

from federation.runtime import Runtime
from federation import deref, httpsig
from models.accounts import Account


async def signer_of(rt: Runtime, method: str, path_qs: str, headers: Mapping[str, str],
                    body: bytes | None, *, cached_key: bool = False) -> Account:
    """The remote account whose key signed the request; SignatureError (401) when it does not verify.
    `cached_key`: a key read a few minutes ago will do (the inbox; see federation.deref.KeyLookup).

    The URL checked is the node's public one: behind a TLS proxy the request arrives as plain http.
    """
    keys = deref.key_lookup(rt, cached=cached_key)
    try:
        verified = await httpsig.verify_request(method, rt.config.base_url + path_qs, headers, body, keys)
        signer = keys.owners.get(verified.key_id)
        if signer is None:
            raise httpsig.SignatureError("the signing key has no known owner")
    except httpsig.SignatureError:
        rt.metrics.signature_failure(method)
        raise
    return signer


def is_signed(headers: Mapping[str, str]) -> bool:
    return "signature" in {k.lower() for k in headers} or headers.get("Authorization", "").startswith("Signature")
