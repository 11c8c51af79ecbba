"""A chat as an iCalendar file (RFC 5545), its transcript as Markdown and JSON, and a series' RSS feed:
plain functions of the chat and its transcript (social.chat_transcript)."""
from __future__ import annotations

import datetime
import html
import time
from email.utils import format_datetime
from xml.etree import ElementTree

from federation.content import html_to_text
from federation.runtime import Runtime
from models.accounts import Account
from models.chats import Chat
from social.chat_transcript import Entry, Transcript

PRODID = "-//Backchannel//Hashtag chats//EN"


def _utc(ts: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)


def _ical_time(ts: float) -> str:
    return _utc(ts).strftime("%Y%m%dT%H%M%SZ")


def _ical_text(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Lines longer than 75 octets are continued on lines starting with a space (RFC 5545 3.1)."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(raw):
        end = min(start + limit, len(raw))
        while end < len(raw) and (raw[end] & 0xC0) == 0x80:  # never split a UTF-8 sequence
            end -= 1
        parts.append(raw[start:end].decode())
        start, limit = end, 74
    return "\r\n ".join(parts)


def calendar(rt: Runtime, chat: Chat, *, first: Chat | None = None, last: Chat | None = None) -> str:
    """One VEVENT with an alarm before the start. For a series (`first` given), the event starts at
    the first occurrence and repeats weekly (until `last`, when the series was cancelled)."""
    event = first or chat
    series = first is not None and chat.recurrence == "weekly"
    uid = f"chat-series-{chat.series_id}@{rt.config.host}" if series else f"chat-{chat.id}@{rt.config.host}"
    topics = "\n".join(f"{t.position}. {t.text}" for t in chat.topics)
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{_ical_time(time.time())}",
        f"DTSTART:{_ical_time(event.starts_at)}",
        f"DTEND:{_ical_time(event.ends_at)}",
        "SUMMARY:" + _ical_text(f"{chat.title} (#{chat.hashtag})"),
        "DESCRIPTION:" + _ical_text(topics + "\n\n" + rt.urls.chat(chat.id)),
        f"URL:{rt.urls.chat(chat.id)}",
    ]
    if series:
        until = f";UNTIL={_ical_time(last.starts_at)}" if last is not None else ""
        lines.append(f"RRULE:FREQ=WEEKLY{until}")
    minutes = max(1, round(rt.config.chat_reminder_seconds / 60))
    lines += ["BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:{_ical_text(chat.title)}",
              f"TRIGGER:-PT{minutes}M", "END:VALARM", "END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


# --- Transcript --------------------------------------------------------------------------------------

def _text(entry: Entry) -> str:
    return entry.status.source_text if entry.status.local and entry.status.source_text else html_to_text(entry.status.content)


def _handle(account: Account, rt: Runtime) -> str:
    return "@" + account.full_acct(rt.config.domain)


def markdown(rt: Runtime, t: Transcript) -> str:
    chat = t.chat
    out = [f"# {chat.title} (#{chat.hashtag})", "",
           f"{_utc(chat.starts_at):%Y-%m-%d %H:%M} to {_utc(chat.ends_at):%H:%M} UTC"
           + (f", hosted by {_handle(t.host, rt)}" if t.host else ""), "",
           f"Live page: {rt.urls.chat(chat.id)}", "", "## Participants", ""]
    out += [f"- {_handle(p.account, rt)} ({p.posts} post{'s' if p.posts != 1 else ''})" for p in t.participants] or ["(none)"]

    def tree(entry: Entry, depth: int) -> None:
        author = t.authors[entry.status.account_id]
        text = _text(entry).replace("\n", " ")
        out.append(f"{'  ' * depth}- **{_handle(author, rt)}** ({_utc(entry.status.created_at):%H:%M}): {text}")
        for reply in entry.replies:
            tree(reply, depth + 1)

    for section in t.sections:
        out.append("")
        if section.topic is None:
            out += ["## Before the first question", ""]
        else:
            out += [f"## {section.topic.position}. {section.topic.text}", "",
                    f"Opened {_utc(section.topic.starts_at):%H:%M} UTC", ""]
        for entry in section.entries:
            tree(entry, 0)
    return "\n".join(out) + "\n"


def _entry_json(rt: Runtime, t: Transcript, entry: Entry) -> dict:
    s = entry.status
    return {"id": str(s.id), "uri": s.uri, "url": s.url or s.uri, "account": _handle(t.authors[s.account_id], rt),
            "created_at": _utc(s.created_at).isoformat(timespec="seconds"), "content": s.content,
            "text": _text(entry), "replies": [_entry_json(rt, t, r) for r in entry.replies]}


def as_json(rt: Runtime, t: Transcript) -> dict:
    chat = t.chat
    return {
        "id": str(chat.id), "hashtag": chat.hashtag, "title": chat.title,
        "host": _handle(t.host, rt) if t.host else None,
        "starts_at": _utc(chat.starts_at).isoformat(timespec="seconds"),
        "ends_at": _utc(chat.ends_at).isoformat(timespec="seconds"),
        "url": rt.urls.chat(chat.id), "posts_count": t.count,
        "participants": [{"account": _handle(p.account, rt), "url": p.account.url or p.account.uri, "posts": p.posts}
                         for p in t.participants],
        "topics": [{
            "position": s.topic.position if s.topic else 0, "text": s.topic.text if s.topic else None,
            "starts_at": _utc(s.topic.starts_at).isoformat(timespec="seconds") if s.topic else None,
            "question": ({"id": str(s.question.id), "url": s.question.url or s.question.uri} if s.question else None),
            "posts": [_entry_json(rt, t, e) for e in s.entries],
        } for s in t.sections],
    }


def series_feed(rt: Runtime, chat: Chat, transcripts: list[Transcript]) -> bytes:
    """RSS 2.0: one item per ended occurrence of the series, linking its transcript."""
    rss = ElementTree.Element("rss", version="2.0")
    channel = ElementTree.SubElement(rss, "channel")
    for name, value in (("title", f"{chat.title} (#{chat.hashtag}): transcripts"), ("link", rt.urls.chat(chat.id)),
                        ("description", f"Transcripts of the #{chat.hashtag} chat on {rt.config.domain}")):
        ElementTree.SubElement(channel, name).text = value
    for t in transcripts:
        item = ElementTree.SubElement(channel, "item")
        link = rt.urls.chat_transcript(t.chat.id)
        topics = "".join(f"<li>{html.escape(s.topic.text)} ({sum(1 for _ in s.entries)} threads)</li>"
                         for s in t.sections if s.topic)
        for name, value in (
                ("title", f"{t.chat.title}, {_utc(t.chat.starts_at):%Y-%m-%d}"), ("link", link),
                ("guid", link), ("pubDate", format_datetime(_utc(t.chat.ends_at))),
                ("description", f"<p>{t.count} posts by {len(t.participants)} people.</p><ol>{topics}</ol>")):
            ElementTree.SubElement(item, name).text = value
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(rss, encoding="utf-8")
