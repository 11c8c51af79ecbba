"""Link preview cards (Mastodon's PreviewCard), fetched in the background (the `cards` queue).

A status's first link that is not a mention or a hashtag gets a card: the status is linked to the
URL's card in its own transaction (`link_first`), and a URL seen for the first time queues one fetch,
shared by every status that links there later. The worker reads the page's head through the guarded
client (address rules, federation policy, one deadline, a size cap), its oEmbed document when it
names one, and its image, which is checked, shrunk and stored here: a reader's browser or app never
contacts the linked site because of a card.
"""
from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncConnection

from federation import link_preview
from federation.deref import is_local
from federation.http import BlockedAddress, BlockedDomain, FetchError
from federation.runtime import Runtime
from models import cards, queues
from models.schema import preview_cards
from models.statuses import Status
from social.errors import Unprocessable
from social.media import new_file_name, process_image, save_file

log = logging.getLogger(__name__)

ATTEMPTS = 3  # a page that fails three times (5 s, 10 s, 20 s apart…) gets no card
HTML_TYPES = ("text/html", "application/xhtml+xml")
IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_PIXELS = 4096 * 4096


async def link_first(conn: AsyncConnection, rt: Runtime, status: Status, content_html: str, *,
                     new: bool = False) -> None:
    """In the status's own transaction: show the card of its first link (or none, after an edit
    that removed it; a `new` status has none to remove). Nothing is fetched here."""
    url = link_preview.first_link(content_html) if status.reblog_of_id is None else None
    if url is None or is_local(rt, url):
        if not new:
            await cards.unlink(conn, status.id)
        return
    if await cards.link(conn, status.id, url):
        rt.wake("cards")


async def process(rt: Runtime, row) -> bool:  # noqa: ANN001
    """One job of the cards queue: fetch the page of `row.url` and store its card."""
    try:
        entity = await _fetch_card(rt, row.url)
    except (BlockedDomain, BlockedAddress) as err:
        return await _give_up(rt, row, str(err))
    except FetchError as err:
        if row.attempts >= ATTEMPTS or err.status in (401, 403, 404, 410):
            return await _give_up(rt, row, str(err))
        async with rt.db.write() as conn:
            await queues.retry_later(conn, preview_cards, row.id, str(err),
                                     queues.backoff(row.attempts, base=5, cap=300, retry_after=err.retry_after))
        return False
    async with rt.db.write() as conn:
        await cards.fetched(conn, row.id, entity)
    return True


async def _give_up(rt: Runtime, row, reason: str) -> bool:  # noqa: ANN001
    log.info("no preview card for %s: %s", row.url, reason)
    async with rt.db.write() as conn:
        await queues.give_up(conn, preview_cards, row.id, reason)
    return False


async def _fetch_card(rt: Runtime, url: str) -> dict | None:
    resp, body, final_url = await rt.http.request("GET", url, headers={"Accept": "text/html,application/xhtml+xml"},
                                                  head=link_preview.HEAD_BYTES)
    if resp.status >= 400:
        raise FetchError(f"GET {url} answered {resp.status}", resp.status)
    if resp.content_type not in HTML_TYPES:
        return None  # a PDF, an image, a feed: nothing to read a card from
    page = link_preview.parse_page(final_url, body, resp.charset)
    oembed = None
    if page.oembed:
        try:
            _, oembed = await rt.http.get_json(page.oembed, activitypub=False, accept="application/json")
        except (FetchError, BlockedAddress, BlockedDomain) as err:
            log.info("oEmbed of %s unavailable: %s", url, err)
    values = link_preview.card_values(page, oembed)
    if values is None:
        return None
    values["url"] = url if values["url"] == final_url else values["url"]
    image_source = values.pop("image_source")
    values |= {"image": None, "blurhash": None, "authors": []}
    if image_source:
        await _store_image(rt, image_source, values)
    return values


async def _store_image(rt: Runtime, source: str, values: dict) -> None:
    """The card's image, fetched, checked and shrunk like an upload's thumbnail, stored here."""
    try:
        resp, raw, _ = await rt.http.request("GET", source, headers={"Accept": "image/*"})
        if resp.status >= 400 or not raw or len(raw) > IMAGE_BYTES:
            return
        processed = await asyncio.to_thread(process_image, raw, max_pixels=IMAGE_PIXELS)
    except (FetchError, BlockedAddress, BlockedDomain, Unprocessable) as err:
        log.info("card image %s not used: %s", source, err)
        return
    name = new_file_name(processed.thumb_ext)
    await save_file(rt, name, processed.thumb)
    values |= {"image": rt.urls.media(name), "width": processed.thumb_width, "height": processed.thumb_height,
               "blurhash": processed.blurhash}
