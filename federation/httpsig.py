"""HTTP request signatures: draft-cavage (what the fediverse mostly speaks) and RFC 9421.

Pure crypto and header logic: no network, no database. The caller supplies a
``key_lookup`` coroutine that turns a key id into a public key PEM, and checks
afterwards that the verified key belongs to the activity's actor.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import functools
import hashlib
import re
import time
from dataclasses import dataclass
from datetime import timezone
from typing import Awaitable, Callable, Mapping
from urllib.parse import SplitResult, urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

KeyLookup = Callable[[str, bool], Awaitable[str | None]]

# Methods that carry a body even when it is empty: their digest is always required.
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


class SignatureError(Exception):
    """Why a request's signature is refused; the inbox answers 401 with str(err) as the body."""

    status = 401


@dataclass(frozen=True)
class VerifiedSignature:
    key_id: str
    scheme: str  # "cavage" or "rfc9421"
    covered: tuple[str, ...]


# --- keys -------------------------------------------------------------------


def generate_key_pair(bits: int = 2048) -> tuple[str, str]:
    """(private_pem PKCS8, public_pem SubjectPublicKeyInfo) as str."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem.decode("ascii"), public_pem.decode("ascii")


@functools.lru_cache(maxsize=4096)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("signing key is not an RSA key")
    return key


@functools.lru_cache(maxsize=1024)
def load_public_key(pem: str) -> rsa.RSAPublicKey | ed25519.Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode("ascii"))
    if not isinstance(key, (rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        raise ValueError("public key is neither RSA nor Ed25519")
    return key


def _rsa_v1_5_sha256(key, signature: bytes, data: bytes) -> None:
    key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())


def _rsa_pss_sha512(key, signature: bytes, data: bytes) -> None:
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
    key.verify(signature, data, pss, hashes.SHA512())


def _ed25519(key, signature: bytes, data: bytes) -> None:
    key.verify(signature, data)


# RFC 9421 algorithm name -> (key type it needs, verifier raising InvalidSignature).
_ALGORITHMS = {
    "rsa-v1_5-sha256": (rsa.RSAPublicKey, _rsa_v1_5_sha256),
    "rsa-pss-sha512": (rsa.RSAPublicKey, _rsa_pss_sha512),
    "ed25519": (ed25519.Ed25519PublicKey, _ed25519),
}
# Cavage names; None means "whatever the key is" (hs2019 hides the algorithm on purpose).
_CAVAGE_ALGORITHMS = {"rsa-sha256": "rsa-v1_5-sha256", "hs2019": None}


def _default_algorithm(key) -> str:
    return "ed25519" if isinstance(key, ed25519.Ed25519PublicKey) else "rsa-v1_5-sha256"


# --- digests ----------------------------------------------------------------


_last_digest: tuple[bytes, str] = (b"", "")


def body_digest_header(body: bytes) -> str:
    global _last_digest
    last = _last_digest  # one fan-out signs the same body for every inbox: hashed once
    if last[0] == body and body:
        return last[1]
    value = "SHA-256=" + _b64(hashlib.sha256(body).digest())
    _last_digest = (body, value)
    return value


_last_date: tuple[int, str] = (-1, "")


def _http_date_of(now: float) -> str:
    """The Date header for `now` (whole seconds: formatted once a second, not once a request)."""
    global _last_date
    second = int(now)
    last = _last_date
    if last[0] != second:
        last = _last_date = (second, email.utils.formatdate(second, usegmt=True))
    return last[1]


def content_digest_header(body: bytes) -> str:
    return f"sha-256=:{_b64(hashlib.sha256(body).digest())}:"


def _check_digest_header(value: str, body: bytes) -> None:
    """RFC 3230 ``Digest``: every algorithm we know must match, and we must know one."""
    known = 0
    for part in value.split(","):
        name, sep, encoded = part.strip().partition("=")
        if not sep:
            raise SignatureError("malformed Digest header")
        digest = _DIGESTS.get(name.lower())
        if digest is None:
            continue
        known += 1
        expected = digest(body).digest()
        # The usual spelling is compared as it is; any other is decoded first (padding, say).
        if encoded != _b64(expected) and _b64decode(encoded) != expected:
            raise SignatureError("Digest header does not match the body")
    if not known:
        raise SignatureError("Digest header uses no supported algorithm (SHA-256, SHA-512)")


def _check_content_digest(value: str, body: bytes) -> None:
    """RFC 9530 ``Content-Digest``, same rule as the Digest header."""
    given = {name: item for name, (item, _) in _parse_sf_dictionary(value).items()}
    known = [name for name in given if name in _DIGESTS]
    if not known:
        raise SignatureError("Content-Digest uses no supported algorithm (sha-256, sha-512)")
    for name in known:
        if given[name] != _DIGESTS[name](body).digest():
            raise SignatureError("Content-Digest does not match the body")


def _check_body_digest(h: dict[str, str], covered, method: str, body: bytes | None) -> None:
    """A signature only protects the body through a signed digest of it."""
    body = body or b""
    if "digest" in covered:
        _check_digest_header(_require(h, "digest"), body)
    if "content-digest" in covered:
        _check_content_digest(_require(h, "content-digest"), body)
    if "digest" in covered or "content-digest" in covered:
        return
    if body or method.upper() in _BODY_METHODS:
        if "digest" in h or "content-digest" in h:
            raise SignatureError("the body digest header is not signed")
        raise SignatureError("request has a body but no Digest header")


# --- small helpers ----------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("malformed base64 in signature headers") from exc


def _lower_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Lower-case names; a repeated field (a multidict yields each) joins with ", " (both specs)."""
    out: dict[str, str] = {}
    for name, value in (headers or {}).items():
        name, value = name.lower(), value.strip()
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _require(h: dict[str, str], name: str) -> str:
    if name not in h:
        raise SignatureError(f"signed header {name!r} is missing from the request")
    return h[name]


def _authority(parts: SplitResult) -> str:
    """host[:port], lower-case, default port left out: RFC 9421 @authority and the Host we send."""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or _DEFAULT_PORTS.get(parts.scheme.lower()) == port:
        return host
    return f"{host}:{port}"


@functools.lru_cache(maxsize=256)  # every request to this node names the same few hosts
def _authority_of(scheme: str, netloc: str) -> str:
    return _authority(urlsplit(f"{scheme}://{netloc}"))


def _merge_headers(headers: Mapping[str, str] | None, added: dict[str, str]) -> dict[str, str]:
    replaced = {name.lower() for name in added}
    merged = {k: v for k, v in (headers or {}).items() if k.lower() not in replaced}
    merged.update(added)
    return merged


def _check_time(label: str, timestamp: float, now: float, max_skew: float) -> None:
    if abs(now - timestamp) > max_skew:
        raise SignatureError(f"{label} is outside the accepted time window")


def _check_expires(expires: float | None, now: float) -> None:
    if expires is not None and expires < now:
        raise SignatureError("signature has expired")


# --- RFC 8941 structured fields (just what RFC 9421 and 9530 headers use) -----


class _Token(str):
    """An sf-token, kept apart from sf-string because they serialize differently."""


_KEY_RE = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_TOKEN_RE = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
_INTEGER_RE = re.compile(r"-?[0-9]{1,15}")
_STRING_RE = re.compile(r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"')
_BYTES_RE = re.compile(r":([A-Za-z0-9+/=]*):")


class _SFParser:
    def __init__(self, text: str):
        self.text, self.pos = text, 0

    def _fail(self, what: str):
        raise SignatureError(f"malformed structured header: {what} at offset {self.pos}")

    def _peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def _match(self, pattern: re.Pattern, what: str) -> re.Match:
        m = pattern.match(self.text, self.pos)
        if not m:
            self._fail(f"expected {what}")
        self.pos = m.end()
        return m

    def _skip(self, chars: str) -> None:
        while self._peek() and self._peek() in chars:
            self.pos += 1

    def dictionary(self) -> dict:
        members: dict = {}
        self._skip(" ")
        while self.pos < len(self.text):
            key = self._match(_KEY_RE, "key").group()
            if self._peek() == "=":
                self.pos += 1
                members[key] = self._item_or_inner_list()
            else:
                members[key] = (True, self._params())
            self._skip(" \t")
            if self.pos == len(self.text):
                break
            if self._peek() != ",":
                self._fail("expected ','")
            self.pos += 1
            self._skip(" \t")
            if self.pos == len(self.text):
                self._fail("trailing ','")
        return members

    def _item_or_inner_list(self):
        if self._peek() != "(":
            return self._bare_item(), self._params()
        self.pos += 1
        items = []
        while True:
            self._skip(" ")
            if self._peek() == ")":
                self.pos += 1
                return items, self._params()
            items.append((self._bare_item(), self._params()))
            if self._peek() not in (" ", ")"):
                self._fail("expected ' ' or ')'")

    def _params(self) -> dict:
        params: dict = {}
        while self._peek() == ";":
            self.pos += 1
            self._skip(" ")
            key = self._match(_KEY_RE, "parameter name").group()
            params[key] = True
            if self._peek() == "=":
                self.pos += 1
                params[key] = self._bare_item()
        return params

    def _bare_item(self):
        c = self._peek()
        if c == '"':
            raw = self._match(_STRING_RE, "string").group(1)
            return re.sub(r"\\(.)", r"\1", raw)
        if c == ":":
            return _b64decode(self._match(_BYTES_RE, "byte sequence").group(1))
        if c == "?":
            return self._match(re.compile(r"\?[01]"), "boolean").group() == "?1"
        if c == "-" or c.isdigit():
            value = int(self._match(_INTEGER_RE, "integer").group())
            if self._peek() == ".":
                self._fail("decimals are not supported")
            return value
        return _Token(self._match(_TOKEN_RE, "item").group())


def _parse_sf_dictionary(text: str) -> dict:
    """{key: (value, params)}; an inner list's value is a list of (item, params)."""
    return _SFParser(text).dictionary()


def _sf_item(value) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, (int, _Token)):
        return str(value)
    if isinstance(value, bytes):
        return f":{_b64(value)}:"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _sf_params(params: dict) -> str:
    return "".join(f";{k}" if v is True else f";{k}={_sf_item(v)}" for k, v in params.items())


def _sf_signature_params(components: tuple[str, ...], params: dict) -> str:
    return "(" + " ".join(_sf_item(c) for c in components) + ")" + _sf_params(params)


# --- draft-cavage -----------------------------------------------------------

_CAVAGE_PARAM_RE = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^",\s]*))\s*(?:,|$)')


def _parse_cavage_params(value: str) -> dict[str, str]:
    if value[:10].lower() == "signature ":
        value = value[10:]
    params, pos, end, match = {}, 0, len(value), _CAVAGE_PARAM_RE.match
    while pos < end:
        m = match(value, pos)
        if not m or m.end() == pos:
            raise SignatureError("malformed Signature header")
        name, quoted, bare = m.group(1, 2, 3)
        params[name.lower()] = quoted if quoted is not None else bare
        pos = m.end()
    return params


def _request_target(method: str, parts: SplitResult, with_query: bool) -> str:
    target = parts.path or "/"
    if with_query and parts.query:
        target += "?" + parts.query
    return f"{method.lower()} {target}"


def _cavage_signing_string(
    covered, method: str, parts: SplitResult, h: dict[str, str], params: dict, with_query: bool
) -> bytes:
    lines = []
    for name in covered:
        if name == "(request-target)":
            value = _request_target(method, parts, with_query)
        elif name in ("(created)", "(expires)"):
            value = params.get(name[1:-1])
            if value is None:
                raise SignatureError(f"{name} is signed but the {name[1:-1]} parameter is missing")
        else:
            value = _require(h, name)
        lines.append(f"{name}: {value}")
    return "\n".join(lines).encode("utf-8")


def _check_cavage_time(covered, h: dict[str, str], params: dict, now: float, max_skew: float):
    if "date" in covered:
        _check_time("Date header", _http_date(_require(h, "date")), now, max_skew)
    if "(created)" in covered:
        if "created" not in params:
            raise SignatureError("(created) is signed but the created parameter is missing")
        _check_time("signature creation time", float(params["created"]), now, max_skew)
    if "expires" in params:
        _check_expires(float(params["expires"]), now)


@functools.lru_cache(maxsize=256)  # the senders of one second all send the same Date
def _http_date(value: str) -> float:
    date = email.utils.parsedate_to_datetime(value)
    if date.tzinfo is None:
        date = date.replace(tzinfo=timezone.utc)
    return date.timestamp()


@dataclass(frozen=True)
class _Pending:
    """A parsed, policy-checked signature waiting for its key."""

    result: VerifiedSignature
    algorithm: str | None  # None: pick from the key type
    signature: bytes
    bases: tuple[bytes, ...]  # any one verifying is enough


def _parse_cavage(method, url, h, body, now, max_skew) -> _Pending:
    header = h["signature"] if "signature" in h else h["authorization"]
    params = _parse_cavage_params(header)
    if not params.get("keyid") or not params.get("signature"):
        raise SignatureError("Signature header lacks keyId or signature")
    algorithm_name = params.get("algorithm", "hs2019").lower()
    if algorithm_name not in _CAVAGE_ALGORITHMS:
        raise SignatureError(f"unsupported signature algorithm {algorithm_name!r}")
    covered = tuple(params.get("headers", "date").lower().split())
    if "(request-target)" not in covered:
        raise SignatureError("(request-target) is not signed")
    if "host" not in covered:
        raise SignatureError("Host header is not signed")
    if "date" not in covered and "(created)" not in covered:
        raise SignatureError("neither Date nor (created) is signed")

    parts = urlsplit(url)
    host = _authority_of(parts.scheme, _require(h, "host"))
    if parts.netloc and host != _authority_of(parts.scheme, parts.netloc):
        raise SignatureError("Host header does not match the request URL")
    _check_cavage_time(covered, h, params, now, max_skew)
    _check_body_digest(h, covered, method, body)

    # Mastodon signs the query string in (request-target), some servers leave it out.
    variants = (True, False) if parts.query else (True,)
    bases = tuple(_cavage_signing_string(covered, method, parts, h, params, q) for q in variants)
    return _Pending(
        result=VerifiedSignature(params["keyid"], "cavage", covered),
        algorithm=_CAVAGE_ALGORITHMS[algorithm_name],
        signature=_b64decode(params["signature"]),
        bases=bases,
    )


def sign_request_cavage(
    method: str,
    url: str,
    headers: dict[str, str] | None,
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    now: float | None = None,
) -> dict[str, str]:
    """Headers to send: the given ones plus Host, Date, Digest (for a body) and Signature."""
    now = time.time() if now is None else now
    parts = urlsplit(url)
    added = {"Host": _authority(parts), "Date": _http_date_of(now)}
    covered: tuple[str, ...] = ("(request-target)", "host", "date")
    if body is not None:
        added["Digest"] = body_digest_header(body)
        covered += ("digest",)
    signing_string = _cavage_signing_string(
        covered, method, parts, _lower_headers(added), {}, with_query=True
    )
    signature = load_private_key(private_key_pem).sign(
        signing_string, padding.PKCS1v15(), hashes.SHA256()
    )
    added["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",'
        f'headers="{" ".join(covered)}",signature="{_b64(signature)}"'
    )
    return _merge_headers(headers, added)


def sign_each(requests: list[tuple[Callable[..., dict[str, str]], tuple]]) -> list[dict[str, str] | Exception]:
    """`sign(*args)` for each (sign, args): many requests signed in one trip to a signing process;
    a request that cannot be signed gets its error, the others their headers."""
    signed: list[dict[str, str] | Exception] = []
    for sign, args in requests:
        try:
            signed.append(sign(*args))
        except Exception as err:  # noqa: BLE001 - returned to its own request
            signed.append(err)
    return signed


# --- RFC 9421 ---------------------------------------------------------------


def _derived_component(name: str, method: str, url: str) -> str:
    parts = urlsplit(url)
    if name == "@method":
        return method
    if name == "@target-uri":
        return url
    if name == "@authority":
        return _authority(parts)
    if name == "@scheme":
        return parts.scheme.lower()
    if name == "@path":
        return parts.path or "/"
    if name == "@query":
        return "?" + parts.query
    if name == "@request-target":
        return (parts.path or "/") + ("?" + parts.query if parts.query else "")
    raise SignatureError(f"unsupported signature component {name!r}")


def _rfc9421_base(
    components: tuple[str, ...], signature_params: str, method: str, url: str, h: dict[str, str]
) -> bytes:
    """RFC 9421 §2.5: one '"name": value' line per component, then "@signature-params"."""
    lines = []
    for name in components:
        if name.startswith("@"):
            value = _derived_component(name, method, url)
        else:
            value = _require(h, name.lower())
        lines.append(f"{_sf_item(name)}: {value}")
    lines.append(f'"@signature-params": {signature_params}')
    return "\n".join(lines).encode("utf-8")


def _rfc9421_components(items: list) -> tuple[str, ...]:
    names = []
    for name, params in items:
        if not isinstance(name, str) or isinstance(name, _Token):
            raise SignatureError("signature components must be strings")
        if params:
            raise SignatureError(f"unsupported parameters on signature component {name!r}")
        if name in names:
            raise SignatureError(f"signature component {name!r} is listed twice")
        names.append(name)
    return tuple(names)


def _check_rfc9421_params(params: dict, now: float, max_skew: float) -> None:
    keyid, alg = params.get("keyid"), params.get("alg")
    if not isinstance(keyid, str):
        raise SignatureError("Signature-Input lacks keyid")
    if alg is not None and alg not in _ALGORITHMS:
        raise SignatureError(f"unsupported signature algorithm {alg!r}")
    created, expires = params.get("created"), params.get("expires")
    if not isinstance(created, int) or isinstance(created, bool):
        raise SignatureError("Signature-Input lacks created")
    _check_time("signature creation time", created, now, max_skew)
    if expires is not None and (not isinstance(expires, int) or isinstance(expires, bool)):
        raise SignatureError("malformed expires parameter")
    _check_expires(expires, now)


def _parse_rfc9421(method, url, h, body, now, max_skew) -> _Pending:
    inputs = _parse_sf_dictionary(h["signature-input"])
    if not inputs:
        raise SignatureError("Signature-Input is empty")
    label, (items, params) = next(iter(inputs.items()))
    if not isinstance(items, list):
        raise SignatureError("Signature-Input member is not an inner list")
    signature = _parse_sf_dictionary(h.get("signature", "")).get(label, (None, None))[0]
    if not isinstance(signature, bytes):
        raise SignatureError(f"no Signature for label {label!r}")

    components = _rfc9421_components(items)
    if "@method" not in components:
        raise SignatureError("@method is not signed")
    if "@target-uri" not in components and not {"@path", "@authority"} <= set(components):
        raise SignatureError("neither @target-uri nor @path and @authority are signed")
    _check_rfc9421_params(params, now, max_skew)
    covered = tuple(c.lower() for c in components)
    _check_body_digest(h, covered, method, body)

    base = _rfc9421_base(components, _sf_signature_params(components, params), method, url, h)
    return _Pending(
        result=VerifiedSignature(params["keyid"], "rfc9421", covered),
        algorithm=params.get("alg"),
        signature=signature,
        bases=(base,),
    )


def sign_request_rfc9421(
    method: str,
    url: str,
    headers: dict[str, str] | None,
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    now: float | None = None,
) -> dict[str, str]:
    """Headers to send: the given ones plus Content-Digest (when there is a body),
    Signature-Input and Signature, labelled sig1, rsa-v1_5-sha256."""
    now = time.time() if now is None else now
    added: dict[str, str] = {}
    components: tuple[str, ...] = ("@method", "@target-uri")
    if body is not None:
        added["Content-Digest"] = content_digest_header(body)
        components += ("content-digest",)
    params = {"created": int(now), "keyid": key_id, "alg": "rsa-v1_5-sha256"}
    signature_params = _sf_signature_params(components, params)
    # HTTP clients send the method upper-cased, and @method is case-sensitive.
    base = _rfc9421_base(components, signature_params, method.upper(), url, _lower_headers(added))
    signature = load_private_key(private_key_pem).sign(base, padding.PKCS1v15(), hashes.SHA256())
    added["Signature-Input"] = f"sig1={signature_params}"
    added["Signature"] = f"sig1=:{_b64(signature)}:"
    return _merge_headers(headers, added)


# --- verification -----------------------------------------------------------


def _verifies(pem: str | None, pending: _Pending) -> bool:
    if pem is None:
        return False
    try:
        key = load_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return False
    key_type, verify = _ALGORITHMS[pending.algorithm or _default_algorithm(key)]
    if not isinstance(key, key_type):
        return False
    for base in pending.bases:
        try:
            verify(key, pending.signature, base)
            return True
        except InvalidSignature:
            continue
    return False


def _parse(method, url, h, body, now, max_skew) -> _Pending:
    if "signature-input" in h:
        return _parse_rfc9421(method, url, h, body, now, max_skew)
    if "signature" in h or h.get("authorization", "")[:10].lower() == "signature ":
        return _parse_cavage(method, url, h, body, now, max_skew)
    raise SignatureError("request is not signed")


async def verify_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_lookup: KeyLookup,
    *,
    now: float | None = None,
    max_skew: float = 12 * 3600,
) -> VerifiedSignature:
    """Check a request's signature (RFC 9421 if it has Signature-Input, else draft-cavage).

    Raises SignatureError for anything short of a valid signature by the key that
    ``key_lookup`` returns; exceptions raised by ``key_lookup`` itself propagate.
    """
    now = time.time() if now is None else now
    h = _lower_headers(headers)
    try:
        pending = _parse(method, url, h, body, now, max_skew)
    except (ValueError, TypeError, OverflowError) as exc:
        # Hostile headers end up here (bad dates, ports, numbers): still a refusal.
        raise SignatureError(f"malformed signature headers: {exc}") from exc

    key_id = pending.result.key_id
    pem = await key_lookup(key_id, False)
    if pem is None:
        raise SignatureError("unknown key")
    if _verifies(pem, pending):
        return pending.result
    # The actor may have rotated its key since we cached it: refetch once.
    fresh = await key_lookup(key_id, True)
    if fresh != pem and _verifies(fresh, pending):
        return pending.result
    raise SignatureError("signature does not verify")
