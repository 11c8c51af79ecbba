"""Quote posts with their quoted author's consent (FEP-044f, as Mastodon 4.5 does them), once for
everyone.

A local person quotes through the client API (`quoted_status_id`): a post here, or one whose author
lets them (public, or followers and they follow), is accepted at once, with a QuoteAuthorization
issued here; a remote post's author is sent a QuoteRequest and the quote stays pending until its
Accept (whose `result` is the authorization, then named in the Note's `quoteAuthorization`) or
Reject. A remote author's QuoteRequest for a local post is answered the same way. A quote post from
elsewhere counts as accepted only with an authorization that its quoted author's server serves and
that names both posts (fetched before any transaction). The quoted author can revoke an accepted
quote: the authorization is deleted (a Delete of it goes out) and the quote shows as revoked.
"""
from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncConnection

from federation import as2, deref
from federation.as2 import host_of, object_id, safe_url, types_of
from federation.http import FetchError
from federation.runtime import Runtime
from models import accounts, quotes, social, statuses
from models.accounts import Account
from models.ids import new_id
from models.quotes import approval_for, effective_policy
from models.statuses import Status
from social import outgoing
from social.errors import Forbidden, NotFound, ServiceError, Unprocessable

log = logging.getLogger(__name__)


# --- A local person quotes ----------------------------------------------------------------------

async def check_local_quote(conn: AsyncConnection, author: Account, quoted_id: int,
                            visibility: str) -> tuple[Status, str]:
    """The post a local author may quote, and the visibility the quote may have: 404 for a post
    they cannot see, 422 for a private mention or a post whose author does not let them (as
    Mastodon); a quote of a followers-only post (only its author's own) stays followers-only."""
    quoted = await statuses.get(conn, quoted_id)
    if quoted is None or quoted.reblog_of_id or not await statuses.can_see(conn, quoted, author.id, author.local):
        raise NotFound("Record not found")
    if quoted.visibility == "direct":
        raise Unprocessable("Validation failed: Private mentions cannot be quoted")
    if await approval(conn, author, quoted) == "denied":
        raise Unprocessable("Validation failed: You are not allowed to quote this post")
    if quoted.visibility == "private" and visibility not in ("private", "direct"):
        visibility = "private"
    elif quoted.visibility == "local" and visibility in ("public", "unlisted"):
        visibility = "local"
    return quoted, visibility


async def approval(conn: AsyncConnection, quoter: Account, quoted: Status) -> str:
    """Whether `quoter` may quote `quoted` by its author's policy: automatic, denied, or unknown (a
    remote post whose server states no policy: the request is sent and its author answers)."""
    follows = effective_policy(quoted) == "followers" and await quotes.follows_author(conn, quoter.id, quoted.account_id)
    return approval_for(quoted, quoter.id, follows)


async def start_local_quote(conn: AsyncConnection, rt: Runtime, status: Status, author: Account,
                            quoted: Status, note: dict | None) -> None:
    """A local author's new quote post: accepted at once when the quoted post is their own or lives
    here (an authorization issued for it), otherwise pending with a QuoteRequest sent (`note`, the
    quote post's Note, embedded as its instrument)."""
    if quoted.account_id == author.id:
        await _transition(conn, status, "accepted")
        return
    quoted_author = await accounts.get(conn, quoted.account_id)
    if quoted.local:
        issued = await quotes.authorize(conn, quoted, status.uri)
        await _transition(conn, status, "accepted",
                          authorization_uri=rt.urls.quote_authorization(quoted_author.username, issued.id))
        return
    await _transition(conn, status, "pending")
    if note is None or quoted_author is None:
        return  # a local-only quote is not sent anywhere: it stays pending
    request = as2.with_context({"id": rt.urls.quote_request(status.uri), "type": "QuoteRequest", "actor": author.uri,
                                "object": quoted.uri, "instrument": note, "to": [quoted_author.uri]})
    await outgoing.queue(conn, rt, activity=request, signer=author, to_accounts=[quoted.account_id])


async def _transition(conn: AsyncConnection, status: Status, state: str, *,
                      authorization_uri: str | None = None) -> None:
    """A quote post's new state; the quoted author here hears of a newly accepted quote."""
    if not await quotes.set_state(conn, status, state, authorization_uri=authorization_uri):
        return
    if state == "accepted" and status.quote_of_id is not None:
        quoted = await statuses.get(conn, status.quote_of_id)
        if quoted is not None and quoted.local:
            await social.notify(conn, account_id=quoted.account_id, from_account_id=status.account_id,
                                type="quote", status_id=status.id)


# --- A remote author asks to quote a local post --------------------------------------------------

def _request_summary(request: dict, actor: Account) -> dict:
    """The QuoteRequest as an Accept or Reject embeds it: by reference to both posts."""
    return {"id": object_id(request), "type": "QuoteRequest", "actor": actor.uri,
            "object": object_id(request.get("object")), "instrument": object_id(request.get("instrument"))}


async def answer_request(rt: Runtime, actor: Account, request: dict) -> str | None:
    """Accept or Reject a remote author's QuoteRequest for a local post, as its author's policy says
    (a blocked or unfollowing requester is refused). The authorization's id when accepted."""
    quoting_uri = object_id(request.get("instrument"))
    if not quoting_uri or host_of(quoting_uri) != host_of(actor.uri):
        raise as2.InvalidDocument("a QuoteRequest's instrument must be its actor's post")
    async with rt.db.read() as conn:
        quoted = await statuses.by_uri(conn, object_id(request.get("object")) or "")
        if quoted is None or not quoted.local or quoted.reblog_of_id:
            return None
        author = await accounts.get(conn, quoted.account_id)
        visible = await statuses.can_see(conn, quoted, actor.id, False)
        follows = await quotes.follows_author(conn, actor.id, quoted.account_id)
    allowed = visible and approval_for(quoted, actor.id, follows) == "automatic"
    async with rt.db.write() as conn:
        summary = _request_summary(request, actor)
        answer = as2.activity("Accept" if allowed else "Reject", rt.urls.activity(author.uri, new_id()), author.uri,
                              summary, to=[actor.uri])
        issued_uri = None
        if allowed:
            issued = await quotes.authorize(conn, quoted, quoting_uri)
            issued_uri = answer["result"] = rt.urls.quote_authorization(author.username, issued.id)
        await outgoing.queue(conn, rt, activity=answer, signer=author, to_accounts=[actor.id])
    return issued_uri


async def accept_known(rt: Runtime, status: Status, authorization_uri: str) -> None:
    """A quote post stored here before its author asked (it arrived pending) is now accepted."""
    async with rt.db.write() as conn:
        current = await statuses.get(conn, status.id)
        if current is not None:
            await _transition(conn, current, "accepted", authorization_uri=authorization_uri)


# --- The quoted author's server answers a local quote --------------------------------------------

async def _local_quote_answered(rt: Runtime, actor: Account, answer: dict) -> Status | None:
    """The local quote post an Accept or Reject from the quoted author answers."""
    request = answer.get("object")
    request_id = object_id(request)
    quoting_uri = object_id(request.get("instrument")) if isinstance(request, dict) else None
    if not quoting_uri and request_id and request_id.endswith("#quote_request"):
        quoting_uri = request_id.removesuffix("#quote_request")
    async with rt.db.read() as conn:
        status = await statuses.by_uri(conn, quoting_uri or "")
        if status is None or not status.local or status.quote_of_id is None:
            return None
        quoted = await statuses.get(conn, status.quote_of_id, with_deleted=True)
    return status if quoted is not None and quoted.account_id == actor.id else None


async def on_accepted(rt: Runtime, actor: Account, answer: dict) -> None:
    """The quoted author accepted: the authorization (`result`, on their server) goes into the Note,
    which is sent again to everyone who has it."""
    status = await _local_quote_answered(rt, actor, answer)
    result = safe_url(object_id(answer.get("result")))
    if status is None or not result or host_of(result) != host_of(actor.uri):
        return
    async with rt.db.write() as conn:
        if await quotes.set_state(conn, status, "accepted", authorization_uri=result):
            await _send_again(conn, rt, status.id)


async def on_rejected(rt: Runtime, actor: Account, answer: dict) -> None:
    status = await _local_quote_answered(rt, actor, answer)
    if status is not None:
        async with rt.db.write() as conn:
            if await quotes.set_state(conn, status, "rejected"):
                await _send_again(conn, rt, status.id)


async def _send_again(conn: AsyncConnection, rt: Runtime, status_id: int) -> None:
    from social import statuses as status_facts  # it imports this module

    await status_facts.send_update(conn, rt, status_id)


# --- Revoking -------------------------------------------------------------------------------------

async def revoke(rt: Runtime, author: Account, quoted_id: int, quoting_id: int) -> Status:
    """The quoted author withdraws an accepted quote: the authorization is deleted (a Delete of it
    goes to the quote's author and to the author's followers here and elsewhere, who may have seen
    it), and the quote shows as revoked. A local quote post is sent again without it."""
    async with rt.db.write() as conn:
        quoted = await statuses.get(conn, quoted_id)
        if quoted is None:
            raise NotFound("Record not found")
        if quoted.account_id != author.id:
            raise Forbidden("This action is not allowed")
        quoting = await quotes.quote_of(conn, quoting_id, quoted_id)
        if quoting is None:
            raise NotFound("Record not found")
        issued = await quotes.authorization_for(conn, quoted.id, quoting.uri)
        await _transition(conn, quoting, "revoked")
        if issued is not None:
            await quotes.revoke_authorization(conn, issued.id)
            if not quoting.local:
                uri = rt.urls.quote_authorization(author.username, issued.id)
                delete = as2.activity("Delete", f"{uri}#delete", author.uri, {"id": uri, "type": "QuoteAuthorization"},
                                      to=[(await accounts.get(conn, quoting.account_id)).uri])
                await outgoing.queue(conn, rt, activity=delete, signer=author, followers_of=author.id,
                                     to_accounts=[quoting.account_id])
        if quoting.local:
            await _send_again(conn, rt, quoting.id)
        return await statuses.get(conn, quoting.id)  # type: ignore[return-value]


async def on_authorization_deleted(rt: Runtime, actor: Account, uri: str) -> bool:
    """A Delete of a QuoteAuthorization by the quoted author who issued it: every quote it approved
    is revoked (a local one is sent again without it). Whether the id named one."""
    async with rt.db.read() as conn:
        approved = await quotes.by_authorization_uri(conn, uri)
    if not approved or host_of(uri) != host_of(actor.uri):
        return bool(approved)
    async with rt.db.write() as conn:
        for status in approved:
            quoted = await statuses.get(conn, status.quote_of_id, with_deleted=True) if status.quote_of_id else None
            if quoted is None or quoted.account_id != actor.id:
                continue
            await _transition(conn, status, "revoked")
            if status.local:
                await _send_again(conn, rt, status.id)
    return True


async def set_policy(rt: Runtime, author: Account, status_id: int, policy: str) -> Status:
    """PUT …/interaction_policy: who may quote the author's post from now on (followers-only and
    direct posts: nobody but the author, whatever is asked), sent out as an Update."""
    if policy not in quotes.POLICIES:
        raise Unprocessable(f"Validation failed: Quote approval policy {policy!r} is not one of "
                            f"{', '.join(quotes.POLICIES)}")
    async with rt.db.write() as conn:
        status = await statuses.get(conn, status_id)
        if status is None or not await statuses.can_see(conn, status, author.id, True):
            raise NotFound("Record not found")
        if status.account_id != author.id or status.reblog_of_id:
            raise Forbidden("This action is not allowed")
        await statuses.update_status(conn, status.id, quote_policy=policy)
        await _send_again(conn, rt, status.id)
        return await statuses.get(conn, status.id)  # type: ignore[return-value]


# --- A quote post from elsewhere -----------------------------------------------------------------

async def inbound_state(rt: Runtime, note_uri: str, author: Account, quoted: Status | None,
                        authorization_uri: str | None) -> tuple[str, str | None]:
    """The state of a remote quote post (and the authorization that proves it): accepted when it
    quotes its own author, when this node issued the authorization (a local quoted post), or when
    the authorization it names is served by the quoted author's server and names both posts;
    pending otherwise. Fetches: call outside any transaction."""
    if quoted is None:
        return "pending", None
    if quoted.account_id == author.id:
        return "accepted", None
    async with rt.db.read() as conn:
        quoted_author = await accounts.get(conn, quoted.account_id)
        issued = await quotes.authorization_for(conn, quoted.id, note_uri) if quoted.local else None
    if quoted_author is None:
        return "pending", None
    if quoted.local:
        return ("accepted", rt.urls.quote_authorization(quoted_author.username, issued.id)) if issued else ("pending", None)
    if not authorization_uri or host_of(authorization_uri) != host_of(quoted_author.uri):
        return "pending", None
    try:
        doc = await deref.fetch_document(rt, authorization_uri)
    except (FetchError, as2.InvalidDocument, ServiceError) as err:
        log.info("cannot fetch quote authorization %s: %s", authorization_uri, err)
        return "pending", None
    valid = ("QuoteAuthorization" in types_of(doc) and object_id(doc.get("interactingObject")) == note_uri
             and object_id(doc.get("interactionTarget")) == quoted.uri
             and object_id(doc.get("attributedTo")) == quoted_author.uri)
    return ("accepted", authorization_uri) if valid else ("pending", None)


async def apply_inbound(conn: AsyncConnection, status: Status, state: str, authorization_uri: str | None) -> None:
    """A remote quote post's state after it was stored or edited: one accepted before and no longer
    proven is revoked."""
    if status.quote_uri is None:
        return
    if state != "accepted" and status.quote_state in ("accepted", "revoked"):
        state = "revoked"
    await _transition(conn, status, state, authorization_uri=authorization_uri)


async def apply_inbound_edit(rt: Runtime, status_id: int, policy: str | None, state: str,
                             authorization_uri: str | None) -> None:
    """After a remote author's Update: the post's quote policy, and its quote's state."""
    async with rt.db.write() as conn:
        status = await statuses.get(conn, status_id)
        if status is None:
            return
        if status.quote_policy != policy:
            await statuses.update_status(conn, status.id, quote_policy=policy)
        await apply_inbound(conn, status, state, authorization_uri)
