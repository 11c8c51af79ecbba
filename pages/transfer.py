"""Export and import of a person's follows, blocks, mutes and lists, in the CSV files Mastodon writes
and reads (so people can move between Mastodon and this node both ways):

- following_accounts.csv: `Account address,Show boosts,Notify on new posts,Languages`, then a row each
- blocked_accounts.csv: one address a line, no header
- muted_accounts.csv: `Account address,Hide notifications`, then a row each
- lists.csv: `List name,Account address` rows, no header

An import looks each address up (here, or through WebFinger, before anything is written) and calls
the same social/ function as the client API for each; at most MAX_ROWS rows per file, and the page
says what was done and what was not."""
from __future__ import annotations

import csv
import io
from typing import Callable

from aiohttp import web

from backchannel.keys import RUNTIME
from federation.urls import ROUTES
from models import collections, social
from models.accounts import Account
from pages import session
from pages.people import find_account
from pages.settings import settings_page
from social import collections as collections_uc
from social import follows
from social import lists as lists_uc
from social.errors import ServiceError, Unprocessable

routes = web.RouteTableDef()
MAX_ROWS = 500
PAGE = 500
FILES = {"following": "following_accounts.csv", "blocks": "blocked_accounts.csv",
         "mutes": "muted_accounts.csv", "lists": "lists.csv"}


async def _all_pages(read) -> list:  # noqa: ANN001
    """Every row of a newest-first paginated read, PAGE at a time."""
    out: list = []
    max_id = None
    while True:
        rows = await read(max_id)
        out += rows
        if len(rows) < PAGE:
            return out
        max_id = rows[-1][0]


def _flag(value: bool) -> str:
    return "true" if value else "false"


async def _rows(rt, account: Account, kind: str) -> list[list[str]]:  # noqa: ANN001
    domain = rt.config.domain
    async with rt.db.read() as conn:
        if kind == "following":
            pairs = await _all_pages(lambda m: social.follow_page(conn, account.id, followers=False, max_id=m,
                                                                  limit=PAGE))
            choices: dict = {}
            for start in range(0, len(pairs), PAGE):
                choices |= await social.follow_choices(conn, account.id, [a.id for _, a in pairs[start:start + PAGE]])
            # Languages: this node keeps no per-follow language filter, so the column is empty (all).
            return [["Account address", "Show boosts", "Notify on new posts", "Languages"]] + [
                [a.full_acct(domain), *(_flag(v) for v in choices.get(a.id, (True, False))), ""] for _, a in pairs]
        if kind == "blocks":
            found = await _all_pages(lambda m: collections.block_page(conn, account.id, max_id=m, since_id=None,
                                                                      min_id=None, limit=PAGE))
            return [[a.full_acct(domain)] for _, a, _ in found]
        if kind == "mutes":
            found = await _all_pages(lambda m: collections.mute_page(conn, account.id, max_id=m, since_id=None,
                                                                     min_id=None, limit=PAGE))
            return [["Account address", "Hide notifications"]] + [
                [a.full_acct(domain), _flag(bool(row.mute_notifications))] for _, a, row in found]
        rows = []
        for lst in await collections.lists_of(conn, account.id):
            members = await collections.list_members(conn, lst.id, limit=MAX_ROWS)
            rows += [[lst.title, a.full_acct(domain)] for a in members]
        return rows


@routes.get(ROUTES.settings_export.path)
async def export(request: web.Request) -> web.Response:
    person = await session.require(request)
    kind = request.match_info["kind"]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(await _rows(request.app[RUNTIME], person.account, kind))
    return web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="{FILES[kind]}"', "Cache-Control": "no-store"})


@routes.get(ROUTES.settings_import.path)
async def import_form(request: web.Request) -> web.Response:
    await session.require(request)
    return settings_page(request, "settings/transfer.html", "Export and import", files=FILES)


def parse(kind: str, text: str) -> list[list[str]]:
    rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text)) if row and any(row)]
    if rows and rows[0] and rows[0][0].lower() in ("account address", "list name"):
        rows = rows[1:]
    if kind == "lists" and any(len(r) < 2 for r in rows):
        raise Unprocessable("Each line of a lists file is a list name and an address.")
    if len(rows) > MAX_ROWS:
        raise Unprocessable(f"At most {MAX_ROWS} lines at a time.")
    return rows


@routes.post(ROUTES.settings_import.path)
async def import_file(request: web.Request) -> web.Response:
    person = await session.require(request)
    form = await session.form(request, person)
    rt = request.app[RUNTIME]
    kind = str(form.get("kind") or "")
    upload = form.get("file")
    try:
        if kind not in FILES:
            raise Unprocessable("Choose what the file holds.")
        if not isinstance(upload, web.FileField):
            raise Unprocessable("Choose a CSV file.")
        raw = upload.file.read(2 * 1024 * 1024 + 1)
        if len(raw) > 2 * 1024 * 1024:
            raise Unprocessable("The file is larger than 2 MB.")
        rows = parse(kind, raw.decode("utf-8-sig", errors="replace"))
    except ServiceError as err:
        return settings_page(request, "settings/transfer.html", "Export and import", err.status, files=FILES,
                         error=err.message)
    done, failed = await apply(rt, person.account, kind, rows)
    return settings_page(request, "settings/transfer.html", "Export and import", files=FILES, done=done,
                     failed=failed)


async def apply(rt, account: Account, kind: str, rows: list[list[str]],  # noqa: ANN001
                progress: Callable[[int, int], None] | None = None) -> tuple[int, list[str]]:
    """Each row through the use case; (how many were done, the addresses that were not, and why).
    `progress(rows seen, rows)` hears of each row (`backchannel user import` draws a bar)."""
    done, failed = 0, []
    lists_by_title = {}
    if kind == "lists":
        async with rt.db.read() as conn:
            lists_by_title = {lst.title: lst for lst in await collections.lists_of(conn, account.id)}
    for seen, row in enumerate(rows):
        if progress is not None:
            progress(seen, len(rows))
        acct = row[1] if kind == "lists" else row[0]
        target = await find_account(rt, acct)
        if target is None or target.id == account.id:
            failed.append(f"{acct}: not found")
            continue
        try:
            if kind == "following":
                await follows.follow(rt, account, target.id,
                                     reblogs=row[1].lower() != "false" if len(row) > 1 and row[1] else None,
                                     notify=row[2].lower() == "true" if len(row) > 2 and row[2] else None)
            elif kind == "blocks":
                await follows.block(rt, account, target.id)
            elif kind == "mutes":
                await collections_uc.mute(rt, account, target.id,
                                          notifications=not (len(row) > 1 and row[1].lower() == "false"))
            else:
                lst = lists_by_title.get(row[0])
                if lst is None:
                    lst = lists_by_title[row[0]] = await lists_uc.create(rt, account, title=row[0],
                                                                         replies_policy="list", exclusive=False)
                await lists_uc.add_accounts(rt, account, lst.id, [target.id])
        except ServiceError as err:
            failed.append(f"{acct}: {err.message}")
            continue
        done += 1
    if progress is not None:
        progress(len(rows), len(rows))
    return done, failed
