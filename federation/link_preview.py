"""What a linked page says about itself, for a preview card: its OpenGraph (and Twitter card)
metadata, <title> and description, and the oEmbed document it points to. Pure parsing; the fetching
is social.cards, through the guarded client.

Only the page's head is read (at most HEAD_BYTES): metadata lives there, and a page that hides
none in its first half megabyte is not worth more of our time."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from federation.as2 import safe_url

HEAD_BYTES = 512 * 1024
TITLE_LIMIT = 300
DESCRIPTION_LIMIT = 1000


class _LinkFinder(HTMLParser):
    """The first link of a status's HTML that is not a mention or a hashtag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a" or self.found is not None:
            return
        values = {k: v or "" for k, v in attrs}
        classes = set(values.get("class", "").split())
        rels = set(values.get("rel", "").split())
        if classes & {"mention", "hashtag", "u-url"} or "tag" in rels:
            return
        href = values.get("href", "")
        if urlsplit(href).scheme in ("http", "https") and safe_url(href):
            self.found = href


def first_link(content_html: str) -> str | None:
    content_html = content_html or ""
    if "<a" not in content_html and "<A" not in content_html:
        return None  # no anchor at all (most posts): nothing to parse
    finder = _LinkFinder()
    finder.feed(content_html)
    return finder.found


@dataclass
class PageMeta:
    url: str
    meta: dict[str, str] = field(default_factory=dict)  # og:title, twitter:image, description, …
    title: str = ""
    language: str | None = None
    oembed: str | None = None  # the URL of its JSON oEmbed document

    def first(self, *names: str) -> str:
        for name in names:
            value = self.meta.get(name, "").strip()
            if value:
                return value
        return ""

    def absolute(self, *names: str) -> str | None:
        """The first of `names` as an absolute http(s) URL, or None."""
        value = self.first(*names)
        return safe_url(urljoin(self.url, value)) if value else None


class _HeadParser(HTMLParser):
    def __init__(self, page: PageMeta) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self._in_title = False
        self._title: list[str] = []
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "html" and values.get("lang"):
            self.page.language = values["lang"].split("-")[0].lower()[:8]
        elif tag == "meta":
            name = (values.get("property") or values.get("name") or "").strip().lower()
            if name and "content" in values and name not in self.page.meta:
                self.page.meta[name] = values["content"]
        elif tag == "title":
            self._in_title = True
        elif tag == "link" and values.get("type", "").lower() == "application/json+oembed" \
                and "alternate" in values.get("rel", "").lower().split() and self.page.oembed is None:
            self.page.oembed = safe_url(urljoin(self.page.url, values.get("href", "")))
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self._in_title and len(self._title) < 100:
            self._title.append(data)

    def close(self) -> None:
        super().close()
        self.page.title = " ".join("".join(self._title).split())


def parse_page(url: str, body: bytes, charset: str | None = None) -> PageMeta:
    page = PageMeta(url=url)
    text = body[:HEAD_BYTES].decode(charset or "utf-8", errors="replace")
    parser = _HeadParser(page)
    # Fed in slices, so reading stops soon after the head ends.
    for start in range(0, len(text), 8192):
        parser.feed(text[start:start + 8192])
        if parser.done:
            break
    parser.close()
    return page


def _clip(text: str, limit: int) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _int(value: object) -> int:
    try:
        return max(0, min(int(str(value)), 10000))
    except ValueError:
        return 0


def card_values(page: PageMeta, oembed: dict | None) -> dict | None:
    """Mastodon's PreviewCard fields (the image left to the caller), or None when the page has no
    title to show. An oEmbed `photo` makes a photo card; a `video` or `rich` one stays a link card:
    its HTML would embed another server's player, which every reader's browser would then contact."""
    oembed = oembed if isinstance(oembed, dict) else {}
    title = _clip(page.first("og:title", "twitter:title") or str(oembed.get("title") or "") or page.title,
                  TITLE_LIMIT)
    if not title:
        return None
    photo = oembed.get("type") == "photo" and safe_url(str(oembed.get("url") or ""))
    provider_url = safe_url(str(oembed.get("provider_url") or "")) or ""
    author_url = safe_url(str(oembed.get("author_url") or "")) or ""
    return {
        "url": page.absolute("og:url") if _same_site(page.url, page.absolute("og:url")) else page.url,
        "title": title,
        "description": _clip(page.first("og:description", "twitter:description", "description"), DESCRIPTION_LIMIT),
        "type": "photo" if photo else "link",
        "author_name": _clip(str(oembed.get("author_name") or page.first("author", "article:author")), 200),
        "author_url": author_url,
        "provider_name": _clip(str(oembed.get("provider_name") or page.first("og:site_name")), 200),
        "provider_url": provider_url,
        "html": "",
        "width": _int(oembed.get("width")) if photo else 0,
        "height": _int(oembed.get("height")) if photo else 0,
        "image_source": photo or page.absolute("og:image:secure_url", "og:image", "og:image:url", "twitter:image",
                                               "twitter:image:src"),
        "image_description": _clip(page.first("og:image:alt", "twitter:image:alt"), 1500),
        "embed_url": "",
        "language": page.language,
        "published_at": page.first("article:published_time") or None,
    }


def _same_site(page_url: str, claimed: str | None) -> bool:
    """A page may name its canonical URL, but only on its own host: a card never sends a reader
    somewhere else than the link the author wrote."""
    return bool(claimed) and urlsplit(claimed).hostname == urlsplit(page_url).hostname
