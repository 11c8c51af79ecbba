"""Filter, FilterKeyword, FilterStatus, the v1 Filter, and FilterResult: which of the viewer's active
filters a status matches in the context the endpoint names (home, notifications, public, thread,
account). A status matching a `hide` filter is left out by the status builder. The viewer's own
statuses are never filtered, as on Mastodon; context None filters nothing."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from api.entities.formats import iso
from federation.content import html_to_text
from models import filters as store
from models.filters import CONTEXTS, Filter, FilterStatus, Keyword
from models.statuses import Status


def keyword_entity(k: Keyword) -> dict:
    return {"id": str(k.id), "keyword": k.keyword, "whole_word": k.whole_word}


def filter_status_entity(s: FilterStatus) -> dict:
    return {"id": str(s.id), "status_id": str(s.status_id)}


def filter_entity(f: Filter, *, with_rules: bool = True) -> dict:
    body = {"id": str(f.id), "title": f.title, "context": list(f.context), "expires_at": iso(f.expires_at),
            "filter_action": f.filter_action}
    if with_rules:
        body["keywords"] = [keyword_entity(k) for k in f.keywords]
        body["statuses"] = [filter_status_entity(s) for s in f.statuses]
    return body


def v1_filter_entity(f: Filter, k: Keyword) -> dict:
    """/api/v1/filters shows one filter per keyword."""
    return {"id": str(k.id), "phrase": k.keyword, "context": list(f.context), "whole_word": k.whole_word,
            "expires_at": iso(f.expires_at), "irreversible": f.filter_action == "hide"}


def _text_of(status: Status) -> str:
    return f"{status.spoiler_text or ''}\n{html_to_text(status.content or '')}"


async def filter_results(conn: AsyncConnection, viewer_id: int, statuses: dict[int, Status],
                         context: str | None) -> tuple[dict[int, list[dict]], set[int]]:
    """FilterResults per status id (a boost carries its original's) and the ids a `hide` filter
    removes, for the viewer's active filters in `context`."""
    if context is None or not statuses:
        return {}, set()
    if context not in CONTEXTS:
        raise ValueError(f"unknown filter context {context!r}")
    active = await store.active_in(conn, viewer_id, context)
    if not active:
        return {}, set()
    compiled = [(f, [(k, k.pattern()) for k in f.keywords], {s.status_id for s in f.statuses}) for f in active]
    results: dict[int, list[dict]] = {}
    hidden: set[int] = set()
    for status in statuses.values():
        if status.reblog_of_id or status.account_id == viewer_id:
            continue
        text = _text_of(status)
        found = []
        for f, keywords, status_ids in compiled:
            words = [k.keyword for k, pattern in keywords if pattern.search(text)]
            by_status = [str(status.id)] if status.id in status_ids else []
            if words or by_status:
                found.append({"filter": filter_entity(f, with_rules=False),
                              "keyword_matches": words or None, "status_matches": by_status or None})
                if f.filter_action == "hide":
                    hidden.add(status.id)
        if found:
            results[status.id] = found
    for status in statuses.values():
        if status.reblog_of_id and status.reblog_of_id in results and status.account_id != viewer_id:
            results[status.id] = results[status.reblog_of_id]
            if status.reblog_of_id in hidden:
                hidden.add(status.id)
    return results, hidden
