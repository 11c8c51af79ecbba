"""Accounts (local and remote actors) and local users."""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field

from sqlalchemy import String, and_, bindparam, cast, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models import counters, search_index
from models.ids import new_id
from models.records import Record
from models.rows import execute, fetch, ids_in, reusable
from models.schema import accounts, users


@reusable
@dataclass(frozen=True)
class Account(Record):
    id: int
    username: str
    domain: str | None
    uri: str
    url: str | None = None
    actor_type: str = "Person"
    display_name: str = ""
    note: str = ""
    fields: str = "[]"
    avatar_url: str | None = None
    header_url: str | None = None
    inbox_url: str | None = None
    shared_inbox_url: str | None = None
    outbox_url: str | None = None
    followers_url: str | None = None
    following_url: str | None = None
    featured_url: str | None = None
    also_known_as: str = "[]"  # JSON list of actor ids
    moved_to_uri: str | None = None
    public_key_id: str | None = None
    public_key_pem: str | None = None
    private_key_pem: str | None = field(default=None, repr=False)
    locked: bool = False
    bot: bool = False
    discoverable: bool = True
    indexable: bool = False
    created_at: float = 0.0
    updated_at: float | None = None
    fetched_at: float | None = None
    suspended_at: float | None = None
    silenced_at: float | None = None
    sensitized_at: float | None = None  # a moderator's "force sensitive": its new posts are sensitive
    followers_count: int = 0
    following_count: int = 0
    statuses_count: int = 0
    last_status_at: float | None = None

    @property
    def local(self) -> bool:
        return self.domain is None

    def acct(self) -> str:
        """`alice` for a local account, `guru@globex.test` for a remote one (Mastodon's `acct`)."""
        return self.username if self.domain is None else f"{self.username}@{self.domain}"

    def full_acct(self, local_domain: str) -> str:
        return f"{self.username}@{self.domain or local_domain}"

    @property
    def delivery_inbox(self) -> str | None:
        """Where deliveries go: the shared inbox when the server has one."""
        return self.shared_inbox_url or self.inbox_url

    def aliases(self) -> list[str]:
        try:
            found = json.loads(self.also_known_as or "[]")
        except ValueError:
            return []
        return [a for a in found if isinstance(a, str)] if isinstance(found, list) else []

    def field_list(self) -> list[dict]:
        try:
            return list(json.loads(self.fields or "[]"))
        except ValueError:
            return []


@dataclass(frozen=True)
class User:
    id: int
    account_id: int
    email: str | None
    admin: bool
    disabled: bool
    moderator: bool = False  # Mastodon's Moderator role: reports and account actions only

    @property
    def staff(self) -> bool:
        """An admin or a moderator: may use the admin pages and API (each part says who may)."""
        return self.admin or self.moderator

    @property
    def role(self) -> str:
        return "admin" if self.admin else "moderator" if self.moderator else "user"


class AccountExists(ValueError):
    status = 422


_GET = select(accounts).where(accounts.c.id == bindparam("id"))  # built once (models.statuses.bound_page_ids)


async def get(conn: AsyncConnection, account_id: int) -> Account | None:
    rows = await fetch(conn, _GET, {"id": account_id})
    return Account.from_row(rows[0]) if rows else None


async def get_many(conn: AsyncConnection, ids) -> dict[int, Account]:  # noqa: ANN001
    ids = list(set(ids))
    if not ids:
        return {}
    rows = (await conn.execute(select(accounts).where(accounts.c.id.in_(ids)))).all()
    return {row.id: Account.from_row(row) for row in rows}


_BY_URI = select(accounts).where(accounts.c.uri == bindparam("uri"))  # built once: every inbound activity asks


async def by_uri(conn: AsyncConnection, uri: str) -> Account | None:
    rows = await fetch(conn, _BY_URI, {"uri": uri})
    return Account.from_row(rows[0]) if rows else None


_BY_URIS = select(accounts).where(ids_in(accounts.c.uri, "uris", strings=True))  # the inbox asks once a batch


async def by_uris(conn: AsyncConnection, uris) -> dict[str, Account]:  # noqa: ANN001
    uris = list(dict.fromkeys(uris))
    if not uris:
        return {}
    rows = await fetch(conn, _BY_URIS, {"uris": uris})
    return {row.uri: Account.from_row(row) for row in rows}


async def by_key_id(conn: AsyncConnection, key_id: str) -> Account | None:
    row = (await conn.execute(select(accounts).where(accounts.c.public_key_id == key_id))).first()
    return Account.from_row(row) if row else None


async def by_acct(conn: AsyncConnection, username: str, domain: str | None) -> Account | None:
    """Usernames match case-insensitively, as on Mastodon."""
    cond = accounts.c.domain.is_(None) if domain is None else func.lower(accounts.c.domain) == domain.lower()
    row = (await conn.execute(
        select(accounts).where(func.lower(accounts.c.username) == username.lower(), cond))).first()
    return Account.from_row(row) if row else None


async def search(conn: AsyncConnection, query: str, limit: int) -> list[Account]:
    q = query.lstrip("@").lower()
    username, _, domain = q.partition("@")
    # autoescape: `%` and `_` typed by a person are letters to find, not LIKE wildcards.
    cond = func.lower(accounts.c.username).startswith(username, autoescape=True)
    if domain:
        cond = cond & func.lower(accounts.c.domain).startswith(domain, autoescape=True)
    else:
        cond = or_(cond, func.lower(accounts.c.display_name).contains(username, autoescape=True))
    rows = (await conn.execute(
        select(accounts).where(cond, accounts.c.suspended_at.is_(None))
        .order_by(accounts.c.domain.is_not(None), accounts.c.username).limit(limit))).all()
    return [Account.from_row(r) for r in rows]


async def create_local(conn: AsyncConnection, *, username: str, uris: dict[str, str],
                       private_key_pem: str, public_key_pem: str, display_name: str = "",
                       locked: bool = False, bot: bool = False, actor_type: str = "Person",
                       note: str = "", avatar_url: str | None = None) -> Account:
    """A local account; `uris` holds its actor, inbox, collection and key URLs (federation.urls)."""
    if await by_acct(conn, username, None):
        raise AccountExists(f"username {username!r} is taken")
    account_id = new_id()
    await conn.execute(insert(accounts).values(
        id=account_id, username=username, domain=None, display_name=display_name or "", note=note,
        actor_type=actor_type, avatar_url=avatar_url, fields="[]", public_key_pem=public_key_pem, private_key_pem=private_key_pem, locked=locked,
        bot=bot, discoverable=True, indexable=True, created_at=time.time(), **uris))
    account = await get(conn, account_id)
    await search_index.index_account(conn, account)
    return account  # type: ignore[return-value]


async def create_instance_actor(conn: AsyncConnection, *, username: str, uri: str, url: str, key_id: str,
                                inbox: str, shared_inbox: str, private_key_pem: str,
                                public_key_pem: str) -> Account:
    account_id = new_id()
    # Not a person: its username is the domain (as on Mastodon) so it cannot clash with a user's.
    await conn.execute(insert(accounts).values(
        id=account_id, username=username, domain=None, uri=uri, url=url, actor_type="Application",
        display_name="", note="", fields="[]", inbox_url=inbox, shared_inbox_url=shared_inbox,
        outbox_url=None, followers_url=None, following_url=None, featured_url=None,
        public_key_id=key_id, public_key_pem=public_key_pem, private_key_pem=private_key_pem,
        locked=True, bot=True, discoverable=False, created_at=time.time()))
    return await get(conn, account_id)  # type: ignore[return-value]


async def upsert_remote(conn: AsyncConnection, values: dict) -> Account:
    """Insert or refresh a remote actor by its uri; returns the stored account."""
    now = time.time()
    existing = await by_uri(conn, values["uri"])
    values = {**values, "fetched_at": now}
    if existing:
        await conn.execute(update(accounts).where(accounts.c.id == existing.id)
                           .values(**values, updated_at=now))
        account = await get(conn, existing.id)
        await search_index.index_account(conn, account)  # the profile in the search index follows
        return account  # type: ignore[return-value]
    # Another actor may already hold username@domain (the actor moved ids): keep the newest.
    await conn.execute(update(accounts)
                       .where(accounts.c.username == values["username"],
                              accounts.c.domain == values["domain"])
                       .values(username=accounts.c.username + "~" + cast(accounts.c.id, String)))
    account_id = new_id()
    # created_at is the actor's `published` when it says (federation.as2.actor_values), else now.
    await conn.execute(insert(accounts).values(id=account_id, **{"created_at": now, **values}))
    account = await get(conn, account_id)
    await search_index.index_account(conn, account)
    return account  # type: ignore[return-value]


async def set_moved(conn: AsyncConnection, account_id: int, moved_to_uri: str) -> None:
    await conn.execute(update(accounts).where(accounts.c.id == account_id)
                       .values(moved_to_uri=moved_to_uri, moved_at=time.time()))


async def moved_at(conn: AsyncConnection, account_id: int) -> float | None:
    """When the account last moved (None: never, or before moves were dated)."""
    return (await conn.execute(select(accounts.c.moved_at).where(accounts.c.id == account_id))).scalar()


async def moved_to(conn: AsyncConnection, account_id: int) -> str | None:
    """Where the account moved (its movedTo), read fresh: a moved local account posts no more."""
    return (await conn.execute(select(accounts.c.moved_to_uri).where(accounts.c.id == account_id))).scalar()


async def set_aliases(conn: AsyncConnection, account_id: int, also_known_as: str) -> None:
    await conn.execute(update(accounts).where(accounts.c.id == account_id).values(also_known_as=also_known_as))


async def bump_counter(conn: AsyncConnection, account_id: int, column: str, delta: int) -> None:
    """Move one of the account's counters when the transaction commits (models.counters)."""
    counters.bump(conn, accounts, account_id, column, delta)


_COUNT_NEW_STATUS = update(accounts).where(accounts.c.id == bindparam("account")).values(
    statuses_count=accounts.c.statuses_count + bindparam("n"), last_status_at=bindparam("at"))


async def count_new_status(conn: AsyncConnection, account_id: int, at: float) -> None:
    """One more status, posted at `at`: the counter and the last-posted date in one statement."""
    await count_new_statuses(conn, {account_id: (1, at)})


async def count_new_statuses(conn: AsyncConnection, counts: dict[int, tuple[int, float]]) -> None:
    """count_new_status for several accounts: {account id: (new statuses, the last one's date)}."""
    if counts:
        await execute(conn, _COUNT_NEW_STATUS, [{"account": account_id, "n": n, "at": at}
                                                for account_id, (n, at) in counts.items()])


# --- Local users --------------------------------------------------------------------------------

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """scrypt, with its parameters stored beside the hash so they can be raised later."""
    salt = salt or os.urandom(16)
    n, r, p = SCRYPT_N, SCRYPT_R, SCRYPT_P
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


# Checked against when a login has no usable hash, so that answer costs the same scrypt work as any
# other: how long a sign-in takes must not tell which logins exist.
_DECOY_HASH = f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${'00' * 16}${'00' * 32}"


def check_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches `stored`; as slow for an unknown login (None) as for a known one."""
    import hmac

    usable = bool(stored) and stored.startswith("scrypt$") and stored.count("$") == 5  # type: ignore[union-attr]
    _, n, r, p, salt, digest = (stored if usable else _DECOY_HASH).split("$")  # type: ignore[union-attr]
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                               p=int(p), dklen=32)
    return hmac.compare_digest(candidate.hex(), digest) and usable


async def create_user(conn: AsyncConnection, *, account_id: int, email: str | None,
                      password: str | None, admin: bool = False) -> User:
    user_id = new_id()
    await conn.execute(insert(users).values(
        id=user_id, account_id=account_id, email=email, admin=admin, disabled=False,
        password_hash=hash_password(password) if password else None, created_at=time.time()))
    return User(user_id, account_id, email, admin, False)


async def user_by_login(conn: AsyncConnection, login: str) -> tuple[User, str | None] | None:
    """Find a user by e-mail or username; returns the user and the stored password hash."""
    cond = or_(func.lower(users.c.email) == login.lower(),
               (func.lower(accounts.c.username) == login.lower()) & accounts.c.domain.is_(None))
    row = (await conn.execute(select(users, accounts.c.username)
                              .join(accounts, accounts.c.id == users.c.account_id).where(cond))).first()
    if not row:
        return None
    return User(row.id, row.account_id, row.email, row.admin, row.disabled, row.moderator), row.password_hash


async def password_hash(conn: AsyncConnection, user_id: int) -> str | None:
    return (await conn.execute(select(users.c.password_hash).where(users.c.id == user_id))).scalar()


async def user_by_id(conn: AsyncConnection, user_id: int) -> User | None:
    row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
    return User(row.id, row.account_id, row.email, row.admin, row.disabled, row.moderator) if row else None


def listed_people():  # noqa: ANN201
    """A SQL condition: accounts that may be offered to someone looking for people (the directory,
    "who talks about X", follow suggestions): discoverable, and neither suspended, limited by a
    moderator, nor moved; for one of this node's, its user approved and not disabled."""
    return and_(accounts.c.discoverable.is_(True), accounts.c.suspended_at.is_(None),
                accounts.c.silenced_at.is_(None), accounts.c.moved_to_uri.is_(None),
                ~exists().where(users.c.account_id == accounts.c.id,
                                or_(users.c.approved.is_(False), users.c.disabled.is_(True))))
