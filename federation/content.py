"""Local posts: plain text → HTML (links, mentions, hashtags), and HTML → text.

The renderer escapes every piece of user text; the only markup in its output is
markup written here. The HTML shape follows what Mastodon produces so that
Mastodon-compatible clients and peers display it the same way.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = [
    "MentionRef",
    "Rendered",
    "find_hashtags",
    "find_mentions",
    "html_to_text",
    "render_plain",
]


@dataclass(frozen=True)
class MentionRef:
    """``@user@domain`` (remote or fully qualified) or ``@user`` (domain None)."""

    username: str
    domain: str | None
    text: str

    @property
    def key(self) -> tuple[str, str | None]:
        """Case-insensitive identity of the mention (for de-duplication)."""
        return (self.username.lower(), self.domain.lower() if self.domain else None)


@dataclass(frozen=True)
class Rendered:
    html: str
    mentions: list[MentionRef]  # mentions that resolved (and were linked), unique, in order
    hashtags: list[str]  # lower-cased names, unique, in order


# --- tokenising -------------------------------------------------------------

_USERNAME = r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?"
_USERNAME_RE = re.compile(_USERNAME)
_LABEL = r"[^\W_](?:[\w\-]*[^\W_])?"
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}}(?![0-9]))?"

# Alternatives are tried left to right at each position, so a URL swallows
# any "@" or "#" inside it before they can be read as a mention or hashtag.
_TOKEN_RE = re.compile(
    rf"""
    (?P<url>(?<![\w/])https?://[^\s<>"/?#]+[^\s<>"]*)
  | (?P<mention>(?<![\w/=@.+])@(?P<user>{_USERNAME})(?:@(?P<domain>{_DOMAIN}))?(?![\w@]))
  | (?P<hashtag>(?<![\w&/#])\#(?=[^\s]))
    """,
    re.VERBOSE | re.IGNORECASE,
)



def is_username(name: str) -> bool:
    """Whether `name` is a username a mention reads back whole: "@name@host" names that account and
    no one else (letters, digits, _, and . or - inside; Mastodon refuses other remote names too)."""
    return len(name) <= 255 and _USERNAME_RE.fullmatch(name) is not None


_URL_TRAILING = ".,;:!?'\"*"
_ZWNJ = "\u200c"
_MIDDLE_DOT = "\u00b7"


def _tag_char(ch: str) -> bool:
    if ch == "_" or ch in (_ZWNJ, _MIDDLE_DOT):
        return True
    return unicodedata.category(ch)[0] in ("L", "M", "N")


def _trim_url(url: str) -> str:
    """Drop trailing punctuation that belongs to the sentence, not the URL."""
    while url:
        last = url[-1]
        if last in _URL_TRAILING:
            url = url[:-1]
        elif last == ")" and url.count("(") < url.count(")"):
            url = url[:-1]
        elif last == "]" and url.count("[") < url.count("]"):
            url = url[:-1]
        else:
            break
    return url


@dataclass(frozen=True)
class _Token:
    kind: str  # "text" | "url" | "mention" | "hashtag"
    text: str
    mention: MentionRef | None = None
    tag: str | None = None  # hashtag name as written (without '#')


def _tokens(line: str) -> Iterator[_Token]:
    pos = 0
    scan = 0
    while True:
        m = _TOKEN_RE.search(line, scan)
        if m is None:
            break
        if m.group("url") is not None:
            start = m.start()
            value = _trim_url(m.group("url"))
            end = start + len(value)
            if value.endswith("://"):
                scan = m.end()
                continue
            token = _Token("url", value)
        elif m.group("mention") is not None:
            start, end = m.start(), m.end()
            ref = MentionRef(
                username=m.group("user"),
                domain=m.group("domain").lower() if m.group("domain") else None,
                text=m.group("mention"),
            )
            token = _Token("mention", m.group("mention"), mention=ref)
        else:
            start = m.start()
            end = start + 1
            while end < len(line) and _tag_char(line[end]):
                end += 1
            # joiners may only sit inside a name
            while end > start + 1 and line[end - 1] in (_ZWNJ, _MIDDLE_DOT):
                end -= 1
            name = line[start + 1 : end]
            if not name or all(c.isdigit() for c in name) or not _tag_start_ok(name):
                scan = start + 1
                continue
            token = _Token("hashtag", line[start:end], tag=name)
        if start > pos:
            yield _Token("text", line[pos:start])
        yield token
        pos = scan = end
    if pos < len(line):
        yield _Token("text", line[pos:])


def _tag_start_ok(name: str) -> bool:
    # a name starting with a combining mark has nothing to combine with
    return unicodedata.category(name[0])[0] != "M" and name[0] not in (_ZWNJ, _MIDDLE_DOT)


def _all_tokens(text: str) -> Iterator[_Token]:
    for line in _normalise_newlines(text).split("\n"):
        yield from _tokens(line)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def find_mentions(text: str) -> list[MentionRef]:
    """Mentions in ``text``: unique (case-insensitively), in order of appearance."""
    seen: set[tuple[str, str | None]] = set()
    out: list[MentionRef] = []
    for token in _all_tokens(text):
        if token.mention is not None and token.mention.key not in seen:
            seen.add(token.mention.key)
            out.append(token.mention)
    return out


def find_hashtags(text: str) -> list[str]:
    """Hashtag names (lower-cased, without ``#``): unique, in order of appearance."""
    seen: set[str] = set()
    out: list[str] = []
    for token in _all_tokens(text):
        if token.tag is not None:
            name = token.tag.lower()
            if name not in seen:
                seen.add(name)
                out.append(name)
    return out


# --- rendering --------------------------------------------------------------

_LINK_ATTRS = 'target="_blank" rel="nofollow noopener noreferrer"'
_DISPLAY_URL_MAX = 30
_SCHEME_RE = re.compile(r"^(https?://)(?:www\.)?", re.IGNORECASE)


def _esc(s: str) -> str:
    return html.escape(s, quote=True)


def _render_url(url: str) -> str:
    m = _SCHEME_RE.match(url)
    prefix = m.group(0) if m else ""
    rest = url[len(prefix) :]
    if len(rest) > _DISPLAY_URL_MAX:
        visible = (
            f'<span class="ellipsis">{_esc(rest[:_DISPLAY_URL_MAX])}</span>'
            f'<span class="invisible">{_esc(rest[_DISPLAY_URL_MAX:])}</span>'
        )
    else:
        visible = f"<span>{_esc(rest)}</span>"
    return (
        f'<a href="{_esc(url)}" {_LINK_ATTRS}>'
        f'<span class="invisible">{_esc(prefix)}</span>{visible}</a>'
    )


def render_plain(
    text: str,
    *,
    mention_url: Callable[[MentionRef], str | None],
    tag_url: Callable[[str], str],
) -> Rendered:
    """Render a plain-text post to Mastodon-style HTML.

    ``mention_url(ref)`` gives the profile URL of a mentioned account, or None
    when it is unknown (the mention then stays plain text). ``tag_url(name)``
    gives the URL of a hashtag page for the lower-cased ``name``.
    ``Rendered.mentions`` holds only the mentions that resolved.
    """
    text = _normalise_newlines(text).strip()
    resolved: dict[tuple[str, str | None], str | None] = {}
    mentions: list[MentionRef] = []
    hashtags: list[str] = []

    def render_line(line: str) -> str:
        parts: list[str] = []
        for token in _tokens(line):
            if token.kind == "url":
                parts.append(_render_url(token.text))
            elif token.kind == "mention":
                ref = token.mention
                assert ref is not None
                if ref.key not in resolved:
                    resolved[ref.key] = mention_url(ref)
                    if resolved[ref.key]:
                        mentions.append(ref)
                url = resolved[ref.key]
                if url:
                    parts.append(
                        '<span class="h-card" translate="no">'
                        f'<a href="{_esc(url)}" class="u-url mention">'
                        f"@<span>{_esc(ref.username)}</span></a></span>"
                    )
                else:
                    parts.append(_esc(token.text))
            elif token.kind == "hashtag":
                assert token.tag is not None
                name = token.tag.lower()
                if name not in hashtags:
                    hashtags.append(name)
                parts.append(
                    f'<a href="{_esc(tag_url(name))}" class="mention hashtag" rel="tag">'
                    f"#<span>{_esc(token.tag)}</span></a>"
                )
            else:
                parts.append(_esc(token.text))
        return "".join(parts)

    paragraphs = [p for p in re.split(r"\n[ \t]*\n\s*", text) if p.strip()]
    out = []
    for para in paragraphs:
        out.append("<p>" + "<br>".join(render_line(line) for line in para.split("\n")) + "</p>")
    return Rendered(html="".join(out), mentions=mentions, hashtags=hashtags)


# --- HTML → text ------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {
        "p", "div", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4",
        "h5", "h6", "table", "tr", "section", "article", "header", "footer",
    }
)
_PARAGRAPH_TAGS = frozenset({"p", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"})
_SKIP_TAGS = frozenset({"script", "style", "template", "head", "title"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.pre = 0

    def _newlines(self, n: int) -> None:
        """End the current line so that at least ``n`` newlines follow the text so far."""
        text = "".join(self.parts).rstrip(" \t")
        if not text.strip():
            self.parts = []
            return
        have = len(text) - len(text.rstrip("\n"))
        self.parts = [text + "\n" * max(0, n - have)]

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _PARAGRAPH_TAGS:
            self._newlines(2)
        elif tag in _BLOCK_TAGS:
            self._newlines(1)
        if tag == "pre":
            self.pre += 1

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag not in _SKIP_TAGS:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _PARAGRAPH_TAGS:
            self._newlines(2)
        elif tag in _BLOCK_TAGS:
            self._newlines(1)
        if tag == "pre":
            self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if not self.pre:
            data = re.sub(r"[ \t\r\n\f]+", " ", data)
            if not self.parts or self.parts[-1].endswith(("\n", " ")):
                data = data.lstrip(" ")
        self.parts.append(data)


def html_to_text(html_in: str) -> str:
    """Plain text of an HTML fragment.

    ``<br>`` becomes a newline, paragraphs are separated by a blank line,
    entities are decoded and all tags dropped (``<script>``/``<style>``
    together with their content).
    """
    if not html_in:
        return ""
    parser = _TextExtractor()
    parser.feed(html_in)
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
