"""Full-text search: statuses a person may find, and accounts whose profile matches.

`match` is the one place that speaks each database's full-text dialect (FTS5 `MATCH` and `bm25` on
SQLite, `@@ to_tsquery` and `ts_rank_cd` on PostgreSQL); everything else is ordinary SQL shared by
both. A page of results is one statement.

Who finds what (as Mastodon 4.2): their own posts; posts they can see and interacted with
(favourited, boosted, bookmarked, replied to, mentioned in); posts of the people they follow that
they can see; and public posts of `indexable` accounts. Always inside models.statuses.visible_to.
"""
from __future__ import annotations

import itertools

from sqlalchemy import BigInteger, Boolean, Float, and_, exists, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from models.accounts import listed_people
from models.schema import (accounts, blocks, bookmarks, favourites, follows, media_attachments, mentions, polls,
                           status_tags, statuses, tags)
from models.search_index import ACCOUNT_TABLE, STATUS_TABLE
from models.search_query import Query
from models.statuses import LIVE, visible_to

_names = itertools.count()


def match(dialect: str, table: str, terms: list[list[str]], *, any_of: bool = False,  # noqa: ANN201
          best: int | None = None, without: list[list[str]] = ()):  # type: ignore[assignment]
    """A subquery (id, rank, has_link for statuses) of the documents holding every term (or, with
    `any_of`, at least one) and none of `without`; a term is a word or a phrase (a list of words in
    order). Higher rank is better; `best` keeps only that many of the best ranked, so that what is
    joined and filtered next is bounded however common the words are. `terms` are index words
    (models.search_index.words), so nothing in them needs escaping beyond the quotes put around
    them here."""
    name = f"fts_{next(_names) % 1_000_000}"
    link = table == STATUS_TABLE
    if dialect == "sqlite":
        joiner = " OR " if any_of else " AND "
        expression = joiner.join('"' + " ".join(term) + '"' for term in terms)
        if without:
            expression = f"({expression}) NOT (" + " OR ".join('"' + " ".join(t) + '"' for t in without) + ")"
        weights = ", 4.0, 1.0" if table == ACCOUNT_TABLE else ""
        sql = (f"SELECT rowid AS id, -bm25({table}{weights}) AS rank{', has_link' if link else ''} "
               f"FROM {table} WHERE {table} MATCH :{name}")
        if best is not None:
            sql += f" ORDER BY bm25({table}{weights}) LIMIT {int(best)}"
    else:
        joiner = " | " if any_of else " & "
        expression = joiner.join("(" + " <-> ".join(f"'{w}'" for w in term) + ")" for term in terms)
        if without:
            expression = f"({expression}) & !(" + " | ".join(
                "(" + " <-> ".join(f"'{w}'" for w in t) + ")" for t in without) + ")"
        key = "status_id" if link else "account_id"
        sql = (f"SELECT {key} AS id, ts_rank_cd(document, to_tsquery('simple', :{name})) AS rank"
               f"{', has_link' if link else ''} FROM {table} "
               f"WHERE document @@ to_tsquery('simple', :{name})")
        if best is not None:
            sql += f" ORDER BY rank DESC LIMIT {int(best)}"
    columns = {"id": BigInteger, "rank": Float}
    if link:
        columns["has_link"] = Boolean
    return text(sql).bindparams(**{name: expression}).columns(**columns).subquery(name)


def terms_of(query: Query) -> list[list[str]]:
    return [[w] for w in query.words] + query.phrases


# --- Statuses -----------------------------------------------------------------------------------

def findable(viewer_id: int, scope: str = "all"):  # noqa: ANN201
    """A condition on statuses (joined to their author in `accounts`): what the viewer may find."""
    s = statuses
    mine = s.c.account_id == viewer_id
    replies = statuses.alias("mine")
    interacted = or_(
        exists().where(favourites.c.status_id == s.c.id, favourites.c.account_id == viewer_id),
        exists().where(bookmarks.c.status_id == s.c.id, bookmarks.c.account_id == viewer_id),
        exists().where(mentions.c.status_id == s.c.id, mentions.c.account_id == viewer_id),
        exists().where(replies.c.reblog_of_id == s.c.id, replies.c.account_id == viewer_id,
                       replies.c.deleted_at.is_(None)),
        exists().where(replies.c.in_reply_to_id == s.c.id, replies.c.account_id == viewer_id,
                       replies.c.deleted_at.is_(None)))
    followed = exists().where(follows.c.account_id == viewer_id, follows.c.target_account_id == s.c.account_id,
                              follows.c.state == "accepted")
    public = and_(s.c.visibility == "public", accounts.c.indexable.is_(True), accounts.c.silenced_at.is_(None))
    if scope == "library":
        return or_(mine, interacted)
    if scope == "public":
        return public
    return or_(mine, interacted, followed, public)


def _tagged(name: str):  # noqa: ANN202
    return (select(status_tags.c.status_id).join(tags, tags.c.id == status_tags.c.tag_id)
            .where(tags.c.name == name.lower()))


def _authors(accts: list[str], viewer_id: int):  # noqa: ANN202
    """Account ids named by from: values (`me`, a local `alice`, a remote `bob@globex.test`; the
    caller has dropped this node's own domain) as one subquery (of an alias: the outer query joins
    `accounts` too, and must not be correlated with)."""
    named = accounts.alias("named")
    conds = []
    for acct in accts:
        if acct == "me":
            conds.append(named.c.id == viewer_id)
            continue
        username, _, domain = acct.partition("@")
        if not domain:
            conds.append(and_(func.lower(named.c.username) == username, named.c.domain.is_(None)))
        else:
            conds.append(and_(func.lower(named.c.username) == username, func.lower(named.c.domain) == domain))
    return select(named.c.id).where(or_(*conds))


def _has(kind: str, link):  # noqa: ANN001, ANN202
    if kind == "poll":
        return exists().where(polls.c.status_id == statuses.c.id)
    if kind == "link":
        return link
    media = exists().where(media_attachments.c.status_id == statuses.c.id)
    if kind == "media":
        return media
    kinds = {"image": ("image",), "video": ("video", "gifv"), "audio": ("audio",)}[kind]
    return exists().where(media_attachments.c.status_id == statuses.c.id, media_attachments.c.type.in_(kinds))


def _is(kind: str):  # noqa: ANN202
    if kind == "reply":
        return or_(statuses.c.in_reply_to_id.is_not(None), statuses.c.in_reply_to_uri.is_not(None))
    return statuses.c.sensitive.is_(True)


BEST = 2000  # without operators that narrow, the best-ranked matches considered (before who may find them)


def narrowed(query: Query, account_id: int | None) -> bool:
    """Whether the operators may keep only a few of the matches: then every match is considered."""
    return bool(query.tags or query.authors or query.has or query.is_ or query.languages or query.after
                or query.before or query.scope == "library" or account_id)


def status_search(dialect: str, query: Query, viewer_id: int, *, account_id: int | None = None,
                  max_id: int | None = None, min_id: int | None = None):  # noqa: ANN201
    """The statement: ids of the statuses the viewer finds, best first (newest first without words)."""
    s = statuses
    unwanted = [[w] for w in query.not_words] + query.not_phrases
    if query.has_text:
        # Unwanted words go into the full-text expression itself: cheaper than a NOT IN of every
        # document that holds a common one.
        hits = match(dialect, STATUS_TABLE, terms_of(query), best=None if narrowed(query, account_id) else BEST,
                     without=unwanted)
        stmt = (select(s.c.id).select_from(hits.join(s, s.c.id == hits.c.id))
                .order_by(hits.c.rank.desc(), s.c.id.desc()))
        link = hits.c.has_link.is_(True)
    elif query.tags:
        # Led by the first tag's own index (newest first), not by a walk of every status.
        first = tags.alias("first_tag")
        marked = status_tags.alias("first_marked")
        stmt = (select(s.c.id).select_from(first.join(marked, marked.c.tag_id == first.c.id)
                                           .join(s, s.c.id == marked.c.status_id))
                .where(first.c.name == query.tags[0].lower()).order_by(marked.c.status_id.desc()))
    else:
        stmt = select(s.c.id).order_by(s.c.id.desc())
    if not query.has_text:
        link = s.c.id.in_(text(f"SELECT {'rowid' if dialect == 'sqlite' else 'status_id'} FROM {STATUS_TABLE} "
                               "WHERE has_link = " + ("1" if dialect == "sqlite" else "true")))
    stmt = stmt.join(accounts, accounts.c.id == s.c.account_id).where(
        LIVE, accounts.c.suspended_at.is_(None), visible_to(viewer_id), findable(viewer_id, query.scope))
    if not query.has_text:
        # Boosts have no document, so with words this is implied; said there, it would lead SQLite's
        # planner to walk every status by that index and run the full-text match once for each.
        stmt = stmt.where(s.c.reblog_of_id.is_(None))
    if unwanted and not query.has_text:
        excluded = match(dialect, STATUS_TABLE, unwanted, any_of=True)
        stmt = stmt.where(s.c.id.not_in(select(excluded.c.id)))
    for name in query.tags:
        stmt = stmt.where(s.c.id.in_(_tagged(name)))
    for name in query.not_tags:
        stmt = stmt.where(s.c.id.not_in(_tagged(name)))
    if query.authors:
        stmt = stmt.where(s.c.account_id.in_(_authors(query.authors, viewer_id)))
    if query.not_authors:
        stmt = stmt.where(s.c.account_id.not_in(_authors(query.not_authors, viewer_id)))
    stmt = stmt.where(*(_has(kind, link) for kind in query.has), *(~_has(kind, link) for kind in query.not_has))
    stmt = stmt.where(*(_is(kind) for kind in query.is_), *(~_is(kind) for kind in query.not_is))
    if query.languages:
        stmt = stmt.where(func.lower(s.c.language).in_(query.languages))
    if query.not_languages:
        stmt = stmt.where(or_(s.c.language.is_(None), func.lower(s.c.language).not_in(query.not_languages)))
    if query.after is not None:
        stmt = stmt.where(s.c.created_at >= query.after)
    if query.before is not None:
        stmt = stmt.where(s.c.created_at < query.before)
    if account_id is not None:
        stmt = stmt.where(s.c.account_id == account_id)
    if max_id is not None:
        stmt = stmt.where(s.c.id < max_id)
    if min_id is not None:
        stmt = stmt.where(s.c.id > min_id)
    return stmt


async def search_statuses(conn: AsyncConnection, query: Query, viewer_id: int, *, limit: int,
                          offset: int = 0, **narrow) -> list[int]:
    """Ids of the statuses `viewer_id` finds with `query`, best first; one statement."""
    if query.empty:
        return []
    stmt = status_search(conn.dialect.name, query, viewer_id, **narrow)
    return list((await conn.execute(stmt.limit(limit).offset(offset))).scalars())


# --- Accounts -----------------------------------------------------------------------------------

async def matching_profiles(conn: AsyncConnection, topic: list[str], *, limit: int, local: bool = False,
                            viewer_id: int | None = None) -> list[tuple[int, float]]:
    """(account id, rank) of discoverable, unsuspended accounts whose name, bio or fields hold any
    of the words, best first; none that the viewer blocked or that blocked the viewer."""
    if not topic:
        return []
    hits = match(conn.dialect.name, ACCOUNT_TABLE, [[w] for w in topic], any_of=True)
    stmt = (select(hits.c.id, hits.c.rank).join(accounts, accounts.c.id == hits.c.id)
            .where(listed_people(), accounts.c.actor_type.in_(PEOPLE))
            .order_by(hits.c.rank.desc(), hits.c.id.desc()).limit(limit))
    if local:
        stmt = stmt.where(accounts.c.domain.is_(None))
    if viewer_id is not None:
        stmt = stmt.where(~exists().where(or_(
            and_(blocks.c.account_id == viewer_id, blocks.c.target_account_id == accounts.c.id),
            and_(blocks.c.account_id == accounts.c.id, blocks.c.target_account_id == viewer_id))))
    rows = await conn.execute(stmt)
    return [(row.id, float(row.rank or 0)) for row in rows]


PEOPLE = ("Person", "Service", "Group")  # not the node's own actor (Application)


def talking_about(dialect: str, topic: list[str]):  # noqa: ANN201
    """Ids of the accounts whose profile, or public posts when they are indexable, hold any of the
    words (the directory's topic filter)."""
    profiles = match(dialect, ACCOUNT_TABLE, [[w] for w in topic], any_of=True)
    posts = match(dialect, STATUS_TABLE, [[w] for w in topic], any_of=True)
    author = accounts.alias("author")  # the directory's query is on `accounts`: no correlation
    said = statuses.alias("said")
    authors = (select(said.c.account_id).join(posts, posts.c.id == said.c.id)
               .join(author, author.c.id == said.c.account_id)
               .where(said.c.deleted_at.is_(None), said.c.visibility == "public", author.c.indexable.is_(True)))
    return select(profiles.c.id).union(authors)
