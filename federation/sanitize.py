"""Sanitising remote content before it is stored or shown.

``sanitize_html`` keeps a small allow-list of formatting tags and Mastodon's
microformat classes; everything else (scripts, styles, event handlers, inline
styles, unknown classes, non-http(s)/mailto links, relative links) is dropped.
``sanitize_text`` turns untrusted names and summaries into one line of plain text.
"""

from __future__ import annotations

import re

import nh3

from .content import html_to_text

__all__ = ["ALLOWED_TAGS", "sanitize_html", "sanitize_text"]

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "a", "span", "del", "pre", "code", "em", "strong", "b", "i", "u", "s",
        "ul", "ol", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6",
    }
)

_ATTRIBUTES = {
    "a": {"href", "class"},
    "span": {"class"},
    "p": {"class"},  # quote-inline: the "RE: link" of a quote post, which apps showing the quote hide
    "ol": {"start", "reversed"},
    "li": {"value"},
}

_LINK_REL = "nofollow noopener noreferrer"

_CLASS_NAMES = frozenset({"h-card", "u-url", "mention", "hashtag", "invisible", "ellipsis", "quote-inline"})
_CLASS_PREFIX_RE = re.compile(r"^(?:h|p|u|dt|e)-[a-z0-9]+(?:-[a-z0-9]+)*$")
_INTEGER_RE = re.compile(r"^-?[0-9]{1,9}$")


def _allowed_class(name: str) -> bool:
    return name in _CLASS_NAMES or bool(_CLASS_PREFIX_RE.match(name))


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr == "class":
        kept = [c for c in value.split() if _allowed_class(c)]
        return " ".join(dict.fromkeys(kept)) or None
    if attr in ("start", "value"):
        value = value.strip()
        return value if _INTEGER_RE.match(value) else None
    if attr == "reversed":
        return ""
    return value


_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    attributes={tag: set(attrs) for tag, attrs in _ATTRIBUTES.items()},
    attribute_filter=_attribute_filter,
    strip_comments=True,
    link_rel=_LINK_REL,
    set_tag_attribute_values={"a": {"target": "_blank"}},
    url_schemes={"http", "https", "mailto"},
    url_relative="deny",
)


def sanitize_html(html: str | None) -> str:
    """Safe HTML for remote post content, bios and the like ("" for None)."""
    if not html:
        return ""
    return _cleaner.clean(html)


# C0/C1 controls, DEL, line/paragraph separators
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# bidi embeddings, overrides and isolates: they can flip the text around a name
_BIDI_CONTROL_RE = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# every bidi formatting character: the above, and the marks (LRM, RLM, ALM) that steer neutral text
_BIDI_ANY_RE = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_SPACES_RE = re.compile(r"\s+")
_ELLIPSIS = "\u2026"


def sanitize_text(s: str | None, max_len: int) -> str:
    """One line of plain text from an untrusted name or summary.

    Tags are stripped (script/style with their content), entities decoded,
    control characters and whitespace runs collapsed to one space, bidi
    override/embedding/isolate characters removed, and the
    result cut to at most ``max_len`` characters (ending in "…" when cut).
    The result is text, not HTML: escape it when putting it into HTML.
    """
    if not s or max_len <= 0:
        return ""
    text = html_to_text(s) if "<" in s or "&" in s else s
    text = _CONTROL_RE.sub(" ", text)
    text = _BIDI_CONTROL_RE.sub("", text)
    text = _SPACES_RE.sub(" ", text).strip()
    if len(text) > max_len:
        text = text[: max_len - 1].rstrip() + _ELLIPSIS
    return text


def clean_name(s: str) -> str:
    """A name shown beside a post (a display name, a profile field's name), local or remote: no
    control or bidi formatting characters at all, which could turn the text around it (or the
    handle after it) the other way."""
    return _SPACES_RE.sub(" ", _BIDI_ANY_RE.sub("", _CONTROL_RE.sub(" ", s))).strip()
