"""The outgoing HTTP client: signed requests, an address guard, size caps and deadlines.

Every request to another server goes through FederationClient. Host names are resolved by
GuardedResolver, which refuses loopback, private, link-local and other non-global addresses (unless
the node runs with --insecure-http) and maps test hosts given with --resolve; aiohttp connects to
exactly the address the resolver returned, so the check and the connection share one resolution.
Deliveries (signed POSTs to inboxes) pass the same checks and the same resolver, then go out on a
lean HTTP/1.1 client of their own with connections kept alive per host (federation.poster).
"""
from __future__ import annotations

import asyncio
import ipaddress
import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
import logging
import re
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Coroutine, Mapping
from urllib.parse import urljoin, urlsplit

import aiohttp
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult

from backchannel import __version__
from federation import httpsig, safejson
from federation.hosts import Host, HostError, canonical_host
from federation.poster import Answer, Busy, Poster

if TYPE_CHECKING:
    from federation.peers import Peers
    from federation.policy import FederationPolicy

log = logging.getLogger(__name__)

AP_ACCEPT = ('application/activity+json, application/ld+json; '
             'profile="https://www.w3.org/ns/activitystreams"')
AP_CONTENT_TYPES = ("application/activity+json", "application/ld+json")
MAX_REDIRECTS = 3


class FetchError(Exception):
    """A request to another server failed; `status` is the peer's HTTP status when it answered."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class BlockedAddress(FetchError):
    """The destination is not a public internet address."""


class PeerBusy(FetchError):
    """Not sent: this node's connections to the peer were all in use for too long (its own queue,
    not the peer's failure)."""


class BlockedDomain(FetchError):
    """The node's federation policy does not allow contact with the destination's domain."""


@dataclass(frozen=True)
class Signer:
    key_id: str
    private_key_pem: str


# IPv6 ranges that carry an IPv4 address in their last 32 bits: NAT64 (RFC 6052), IPv4-compatible
# (deprecated), IPv4-mapped and IPv4-translated (SIIT). What they reach is that IPv4 address.
_EMBEDDING_LOW_32 = [ipaddress.ip_network(n) for n in ("64:ff9b::/96", "::/96", "::ffff:0:0/96",
                                                        "::ffff:0:0:0/96")]
# Local-use NAT64 (RFC 8215): the operator places the IPv4 address where it likes; never public.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """The IPv4 addresses an IPv6 address stands for (6to4, Teredo, NAT64, mapped, compatible)."""
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)  # the relay server and the client behind it
    if any(address in net for net in _EMBEDDING_LOW_32):
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    return None


def is_public_address(ip: str) -> bool:
    """A global unicast address. An IPv6 address that embeds an IPv4 address is judged by that IPv4
    address (every embedded one must be public), whatever Python thinks of its prefix."""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address in _LOCAL_NAT64:
            return False
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return all(is_public_address(str(v4)) for v4 in embedded)
    return address.is_global and not address.is_multicast


class GuardedResolver(AbstractResolver):
    def __init__(self, host_map: Mapping[str, tuple[str, int]], allow_private: bool):
        self._host_map = {k.lower(): v for k, v in host_map.items()}
        self._allow_private = allow_private
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        mapped = self._host_map.get(host.lower())
        if mapped:
            ip, mapped_port = mapped
            fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
            return [ResolveResult(hostname=host, host=ip, port=mapped_port, family=fam, proto=0,
                                  flags=socket.AI_NUMERICHOST)]
        results = await self._inner.resolve(host, port, family)
        allowed = [r for r in results if self._allow_private or is_public_address(r["host"])]
        if not allowed:
            raise BlockedAddress(f"{host} resolves to no public address")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


class FederationClient:
    def __init__(self, *, host_map: Mapping[str, tuple[str, int]], insecure_http: bool,
                 timeout: float, max_body_bytes: int, user_agent: str,
                 policy: "FederationPolicy | None" = None, peers: "Peers | None" = None,
                 signing_processes: int = 0, signing_threads: int = 0):
        self.insecure_http = insecure_http
        # RSA signing is most of what a delivery costs this process; with signing processes it is
        # done in them, on the other cores (started with the client, stopped with it).
        self.signing_processes = signing_processes
        # Or threads: signing releases the interpreter's lock, so they use other cores too.
        self.signing_threads = 0 if signing_processes > 0 else signing_threads
        self._signing: Executor | None = None
        self._to_sign: list[tuple[Any, tuple, asyncio.Future]] = []
        self.host_map = {k.lower(): v for k, v in host_map.items()}
        self._allowed_origins: set[str] = set()  # "scheme://authority" that check_url let through
        self.total_seconds = timeout  # one request, all its redirects and its body included
        self.timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 10))
        self.max_body_bytes = max_body_bytes
        self.user_agent = user_agent
        # Every outgoing request asks the federation policy first: a blocked or not-allowed domain
        # is never contacted, whichever code path (delivery, fetch, WebFinger, media) asks.
        self.policy = policy
        self._session: aiohttp.ClientSession | None = None
        self._resolver: GuardedResolver | None = None
        # Deliveries (POSTs to inboxes) go through a lean client of their own (federation.poster).
        self._poster: Poster | None = None
        # Per-peer state: fetch outcomes are reported there, and the signature scheme each peer's
        # inbox accepted last is kept there (Fedify's "double knock", remembered by every process).
        self.peers = peers

    async def start(self) -> None:
        resolver = self._resolver = GuardedResolver(self.host_map, allow_private=self.insecure_http)
        connector = aiohttp.TCPConnector(resolver=resolver, limit=100, limit_per_host=8,
                                         ttl_dns_cache=None, use_dns_cache=False)
        self._poster = Poster(self._addresses, max_body_bytes=self.max_body_bytes, user_agent=self.user_agent,
                              connect_timeout=min(self.total_seconds, 10))
        self._session = aiohttp.ClientSession(connector=connector, timeout=self.timeout,
                                              headers={"User-Agent": self.user_agent},
                                              auto_decompress=True)
        if self.signing_processes > 0:
            # Spawned, not forked: this process runs threads (the database driver's) by now.
            self._signing = ProcessPoolExecutor(self.signing_processes, mp_context=multiprocessing.get_context("spawn"))
        elif self.signing_threads > 0:
            self._signing = ThreadPoolExecutor(self.signing_threads, thread_name_prefix="signing")

    async def close(self) -> None:
        if self._poster:
            await self._poster.close()
        if self._session:
            await self._session.close()
        if self._signing is not None:
            self._signing.shutdown(wait=False, cancel_futures=True)
            self._signing = None

    async def _signed(self, scheme: str, method: str, url: str, headers: dict, body: bytes | None,
                      signer: Signer) -> dict:
        """`headers` with the request's signature, made here or in a signing process."""
        sign = httpsig.sign_request_rfc9421 if scheme == "rfc9421" else httpsig.sign_request_cavage
        args = (method, url, headers, body, signer.key_id, signer.private_key_pem)
        if self._signing is None:
            return sign(*args)
        # Requests to sign that come in the same turn of the loop (the deliveries of one claim) go to
        # the signing processes together: one trip each, not one per request.
        loop = asyncio.get_running_loop()
        signed = loop.create_future()
        self._to_sign.append((sign, args, signed))
        if len(self._to_sign) == 1:
            loop.call_soon(self._send_to_signers)
        return await signed

    def _send_to_signers(self) -> None:
        batch, self._to_sign = self._to_sign, []
        if self._signing is None:  # closed meanwhile
            for _sign, _args, signed in batch:
                if not signed.done():
                    signed.set_exception(FetchError("the client is closed"))
            return
        loop = asyncio.get_running_loop()
        workers = self.signing_processes or self.signing_threads
        for k in range(min(workers, len(batch))):
            share = batch[k::workers]
            trip = loop.run_in_executor(self._signing, httpsig.sign_each, [(sign, args) for sign, args, _ in share])
            trip.add_done_callback(lambda trip, share=share: _settle(trip, share))

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "FederationClient.start() was not awaited"
        return self._session

    def check_url(self, url: str) -> None:
        """Refuse URLs that must never be requested, before any connection is made."""
        origin = _origin_part(url)
        if origin is not None and origin in self._allowed_origins:
            return  # the verdict depends on the scheme and authority alone: this one passed before
        self._check_url(url)
        if origin is not None:
            if len(self._allowed_origins) >= ALLOWED_ORIGINS_MAX:
                self._allowed_origins.clear()
            self._allowed_origins.add(origin)

    def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        allowed_schemes = ("https", "http") if self.insecure_http else ("https",)
        if parts.scheme not in allowed_schemes:
            raise BlockedAddress(f"refusing {parts.scheme or 'relative'} URL {url!r}")
        # The host as aiohttp will reach it: yarl maps a name through IDNA first, so "①②⑦.0.0.1" or
        # "１２７.0.0.1" is the literal 127.0.0.1 there, which no resolver is asked about.
        try:
            host = (yarl.URL(url).host or "").lower()
        except ValueError:
            raise BlockedAddress(f"refusing URL {url!r}") from None
        if not host:
            raise BlockedAddress(f"no host in {url!r}")
        if host in self.host_map or self.insecure_http:
            return
        try:
            ipaddress.ip_address(host)
        except ValueError:
            name = host.rstrip(".")
            last = name.rsplit(".", 1)[-1]
            if name == "localhost" or name.endswith(".localhost") or "." not in name:
                raise BlockedAddress(f"refusing local host name {host!r}") from None
            if last.isdigit() or last.startswith("0x"):  # an address in another spelling (127.1, 0x7f.1)
                raise BlockedAddress(f"refusing numeric host {host!r}") from None
            return  # a name: the resolver checks what it resolves to
        # aiohttp does not ask the resolver about literal addresses, so check them here.
        if not is_public_address(host):
            raise BlockedAddress(f"refusing non-public address {host}")

    async def _addresses(self, host: str, port: int) -> list[tuple[str, int]]:
        """Where a delivery may connect to reach `host`: a literal address as it is (check_url has
        judged it; aiohttp does not ask its resolver about one either), a name as the guarded resolver
        resolves it (public addresses only, or the test host map)."""
        try:
            ipaddress.ip_address(host)
        except ValueError:
            assert self._resolver is not None, "FederationClient.start() was not awaited"
            return [(r["host"], r["port"]) for r in await self._resolver.resolve(host, port, socket.AF_UNSPEC)]
        if not (self.insecure_http or host.lower() in self.host_map or is_public_address(host)):
            raise BlockedAddress(f"refusing non-public address {host}")
        return [(host, port)]

    async def _check_policy(self, url: "str | Host") -> None:
        if self.policy is None:
            return
        verdict = await self.policy.check(url)
        if not verdict.allowed:
            raise BlockedDomain(verdict.reason)

    async def _read_capped(self, resp: aiohttp.ClientResponse, head: int | None = None) -> bytes:
        """The body, refused when larger than the cap; with `head`, only its first `head` bytes
        (a web page's metadata is at its top), however large the rest."""
        cap = min(head, self.max_body_bytes) if head is not None else self.max_body_bytes
        declared = resp.content_length
        if head is None and declared is not None and declared > cap:
            raise FetchError(f"response from {resp.url} is too large ({declared} bytes)")
        chunks, size = [], 0
        async for chunk in resp.content.iter_chunked(65536):
            size += len(chunk)
            if size > cap:
                if head is not None:
                    chunks.append(chunk[:len(chunk) - (size - cap)])
                    break
                raise FetchError(f"response from {resp.url} is larger than {cap} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    async def request(self, method: str, url: str, *, body: bytes | None = None,
                      headers: Mapping[str, str] | None = None, signer: Signer | None = None,
                      scheme: str = "cavage", follow_redirects: bool = True, deadline: float | None = None,
                      head: int | None = None) -> tuple[aiohttp.ClientResponse, bytes, str]:
        """One request, redirects followed by hand so every hop is checked and signed again.

        One total deadline covers every hop, the name lookups and the body: a chain of slow redirects
        costs at most the client's timeout, not a timeout per hop. `deadline` (event-loop time) can
        only shorten it (a caller's own budget). `head`: read only that many bytes of the body.
        Returns (response, body, final URL).
        """
        loop = asyncio.get_running_loop()
        end = loop.time() + self.total_seconds
        if deadline is not None:
            end = min(end, deadline)
        if end <= loop.time():
            raise FetchError(f"{method} {url}: no time left to ask")
        try:
            async with asyncio.timeout_at(end):
                return await self._follow(method, url, body, headers, signer, scheme, follow_redirects, head)
        except TimeoutError:
            raise FetchError(f"{method} {url} timed out") from None

    async def _follow(self, method: str, url: str, body: bytes | None, headers: Mapping[str, str] | None,
                      signer: Signer | None, scheme: str, follow_redirects: bool, head: int | None = None
                      ) -> tuple[aiohttp.ClientResponse, bytes, str]:
        for _hop in range(MAX_REDIRECTS + 1):
            self.check_url(url)
            await self._check_policy(url)
            send = dict(headers or {})
            if signer is not None:
                send = await self._signed(scheme, method, url, send, body, signer)
            try:
                async with self.session.request(method, url, data=body, headers=send,
                                                allow_redirects=False) as resp:
                    if resp.status in (301, 302, 303, 307, 308) and follow_redirects and method == "GET":
                        location = resp.headers.get("Location")
                        if not location:
                            raise FetchError(f"redirect without Location from {url}", resp.status)
                        url = urljoin(url, location)
                        continue
                    data = await self._read_capped(resp, head)
                    return resp, data, url
            except FetchError:
                raise
            except (aiohttp.ClientError, OSError, ValueError) as err:
                raise FetchError(f"{method} {url} failed: {err}") from None
        raise FetchError(f"too many redirects from {url}")

    async def get_json(self, url: str, *, signer: Signer | None = None, accept: str = AP_ACCEPT,
                       activitypub: bool = True, deadline: float | None = None,
                       headers: Mapping[str, str] | None = None) -> tuple[str, dict[str, Any]]:
        """GET a JSON document; returns (final URL, document). ActivityPub media types are required
        when `activitypub` is set, so an HTML page or a user upload is never taken for an object."""
        send = {"Accept": accept, **(headers or {})}
        resp, data, final_url = await self._noted(url, self.request("GET", url, headers=send,
                                                                    signer=signer, deadline=deadline))
        if resp.status == 410:
            raise FetchError(f"{url} is gone", 410)
        if resp.status >= 400:
            raise FetchError(f"GET {url} answered {resp.status}", resp.status)
        content_type = resp.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if activitypub and content_type not in AP_CONTENT_TYPES:
            raise FetchError(f"{url} is {content_type or 'untyped'}, not an ActivityPub document")
        if not activitypub and not (content_type.endswith("json")):
            raise FetchError(f"{url} is {content_type or 'untyped'}, not JSON")
        try:
            doc = safejson.loads(data)
        except ValueError:
            raise FetchError(f"{url} is not valid JSON") from None
        if not isinstance(doc, dict):
            raise FetchError(f"{url} is not a JSON object")
        return final_url, doc

    async def post_activity(self, inbox: str, body: bytes, signer: Signer) -> int:
        """Deliver one activity. Only a refusal of the signature (401, 403) is knocked again, with
        the other scheme; any other refusal (a 400 for the activity itself) is the peer's verdict on
        what we sent, and its reason goes into the error."""
        try:
            peer: Host | None = canonical_host(inbox)  # read once for the policy and the peer's state
        except HostError:
            peer = None  # check_url refuses it
        where = str(peer) if peer is not None else inbox
        first = await self.peers.scheme(where) if self.peers else "cavage"
        headers = {"Content-Type": "application/activity+json", "Accept": AP_ACCEPT}
        status = 0
        for scheme in (first, "rfc9421" if first == "cavage" else "cavage"):
            answer = await self._post(inbox, body, headers, signer, scheme, peer)
            status = answer.status
            if status in SIGNATURE_REFUSED:
                continue
            if status < 300 and self.peers:
                await self.peers.remember_scheme(where, scheme)
            if status >= 300:  # a redirect too: a delivery is never sent on to another address
                retry_after = _retry_after(answer.headers.get("retry-after"))
                raise FetchError(f"POST {inbox} answered {status}{_reason(answer.body)}", status, retry_after)
            return status
        raise FetchError(f"POST {inbox} refused both signature schemes ({status})", status)

    async def _post(self, url: str, body: bytes, headers: Mapping[str, str], signer: Signer, scheme: str,
                    peer: Host | None = None) -> Answer:
        """One signed POST, checked as every request is (check_url, the policy: on `peer`, the URL's
        canonical host, when the caller has it), on the lean client, within the client's timeout."""
        assert self._poster is not None, "FederationClient.start() was not awaited"
        try:
            async with asyncio.timeout(self.total_seconds) as budget:
                self.check_url(url)
                await self._check_policy(peer if peer is not None else url)
                send = await self._signed(scheme, "POST", url, dict(headers), body, signer)
                # Waiting for a connection to the peer (its per-host limit) does not spend the budget,
                # but is bounded on its own, so a claimed delivery ends well within its lock.
                return await self._poster.post(url, send, body, slot_wait=self.total_seconds / 2, budget=budget)
        except Busy as err:
            raise PeerBusy(f"POST {url} not sent: {err}") from None
        except TimeoutError:
            raise FetchError(f"POST {url} timed out") from None
        except FetchError:
            raise
        except (OSError, ValueError, EOFError, asyncio.LimitOverrunError) as err:  # EOFError: IncompleteReadError
            raise FetchError(f"POST {url} failed: {err}") from None

    async def _noted(self, url: str, pending: Coroutine[Any, Any, tuple[aiohttp.ClientResponse, bytes, str]]
                     ) -> tuple[aiohttp.ClientResponse, bytes, str]:
        """Report a fetch's outcome to the peer's state: no answer, 429 or a server error is a
        failure; any other answer shows the peer is up. Refusals of our own (policy, address) are
        neither. While the peer's circuit breaker is open it is not asked at all."""
        wait = await self.peers.wait_for(url) if self.peers else 0.0
        if wait:
            pending.close()  # the request is never made
            raise FetchError(f"{urlsplit(url).netloc} is failing: not asked again for {wait:.0f} s")
        try:
            result = await pending
        except (BlockedAddress, BlockedDomain):
            raise
        except FetchError as err:
            if self.peers and (err.status is None or _peer_failed(err.status)):
                await self.peers.record_failure(url)
            raise
        if self.peers:
            await (self.peers.record_failure(url) if _peer_failed(result[0].status)
                   else self.peers.record_success(url))
        return result


SIGNATURE_REFUSED = (401, 403)
ALLOWED_ORIGINS_MAX = 4096
_UNUSUAL = re.compile(r"[\x00-\x20\x7f\\%]")


def _origin_part(url: str) -> str | None:
    """`scheme://authority` of an http(s) URL, cut where urlsplit and yarl both end the authority
    (the first / ? or #); None for anything unusual (whitespace, control characters, backslashes,
    percent-escapes), which is always checked in full."""
    if not url.startswith(("https://", "http://")) or _UNUSUAL.search(url):
        return None
    start = url.index("://") + 3
    end = len(url)
    for mark in "/?#":
        at = url.find(mark, start, end)
        if at >= 0:
            end = at
    return url[:end]


def _settle(trip: asyncio.Future, share: list[tuple[Any, tuple, asyncio.Future]]) -> None:
    """Hand each request of a trip to the signing processes its headers (or its error)."""
    failure = FetchError("signing was cancelled") if trip.cancelled() else trip.exception()
    outcomes = trip.result() if failure is None else [failure] * len(share)
    for outcome, (_sign, _args, signed) in zip(outcomes, share):
        if signed.done():
            continue  # its delivery was cancelled
        if isinstance(outcome, BaseException):
            signed.set_exception(outcome)
        else:
            signed.set_result(outcome)


def _reason(data: bytes) -> str:
    """A peer's short explanation of a refusal, printable and cut short, for the log and the queue."""
    text = "".join(c for c in data[:300].decode("utf-8", "replace") if c.isprintable()).strip()
    return f": {text[:200]!r}" if text else ""


def _peer_failed(status: int) -> bool:
    return status == 429 or status >= 500


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    from email.utils import parsedate_to_datetime
    import time

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def user_agent(base_url: str) -> str:
    return f"Backchannel/{__version__} (+{base_url}/)"
