"""A hashtag chat on the wire: an ActivityStreams `Event` (served at the chat's page, which is its id),
and the RSVPs other servers send about it.

The Event carries `name` (the title), `startTime`, `endTime`, `url` (the live page), `attributedTo`
(the host: a person or a group), the hashtag as a `Hashtag` tag, the questions in `content`, and
Mobilizon's `joinMode: free`. Mastodon shows an Event it is given as a status made from its
`content` (or `name`) with the `url` appended; Friendica and Mobilizon show it as an event to attend.

RSVPs accepted (the object is the Event, by id or embedded; an Invite wrapping it is unwrapped):
- attending: `Join` (Mobilizon's participation; answered with `Accept{Join}`), `Accept` (Friendica's
  "attend", Zap/Streams), `TentativeAccept` (Friendica's "maybe": counted as attending, since the
  reminder is what an RSVP buys here);
- not attending: `Leave` (Mobilizon), `Reject` and `TentativeReject` (Friendica's "decline").
"""
from __future__ import annotations

import html
import re

from federation.as2 import iso, object_id, types_of, with_context
from federation.addressing import PUBLIC
from federation.urls import Urls
from models.accounts import Account
from models.chats import Chat

ATTENDING = {"Join": True, "Accept": True, "TentativeAccept": True,
             "Leave": False, "Reject": False, "TentativeReject": False}
_CHAT_PATH = re.compile(r"^/chats/(\d{1,19})/?$")


def event_object(chat: Chat, host: Account, urls: Urls) -> dict:
    page = urls.chat(chat.id)
    questions = "".join(f"<li>{html.escape(t.text)}</li>" for t in chat.topics)
    tag_url = urls.tag(chat.tag)
    content = (f"<p>{html.escape(chat.title)}: a <a href=\"{html.escape(tag_url)}\" class=\"mention hashtag\" "
               f"rel=\"tag\">#<span>{html.escape(chat.hashtag)}</span></a> chat.</p><ol>{questions}</ol>")
    return with_context({
        "id": page,
        "type": "Event",
        "name": chat.title,
        "content": content,
        "startTime": iso(chat.starts_at),
        "endTime": iso(chat.ends_at),
        "url": page,
        "attributedTo": host.uri,
        "to": [PUBLIC],
        "cc": [host.followers_url] if host.followers_url else [],
        "tag": [{"type": "Hashtag", "href": tag_url, "name": "#" + chat.hashtag}],
        "published": iso(chat.created_at),
        "joinMode": "free",
    })


def rsvp_target(activity: dict) -> str | None:
    """The id of the event an RSVP names: its object, or the object of an Invite it answers."""
    obj = activity.get("object")
    if isinstance(obj, dict) and "Invite" in types_of(obj):
        obj = obj.get("object")
    return object_id(obj)


def chat_id_in(uri: str | None) -> int | None:
    """The chat a URL of this node names (its page), by its path; the caller checks the URL is local."""
    if not uri:
        return None
    path = "/" + uri.split("://", 1)[-1].partition("/")[2].split("?", 1)[0].split("#", 1)[0]
    found = _CHAT_PATH.match(path)
    return int(found.group(1)) if found else None
