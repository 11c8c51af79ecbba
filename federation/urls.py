"""Every URL this node serves, built in one place from the base URL."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Urls:
    base: str  # e.g. https://learn.acme.example

    def actor(self, username: str) -> str:
        return f"{self.base}/users/{username}"

    def account_columns(self, username: str) -> dict[str, str]:
        """Every URL a local account stores, by column name (models.accounts.create_local)."""
        return {
            "uri": self.actor(username), "url": self.profile(username), "inbox_url": self.inbox(username),
            "shared_inbox_url": self.shared_inbox(), "outbox_url": self.outbox(username),
            "followers_url": self.followers(username), "following_url": self.following(username),
            "featured_url": self.featured(username), "public_key_id": self.key_id(username),
        }

    def key_id(self, username: str) -> str:
        return f"{self.actor(username)}#main-key"

    def inbox(self, username: str) -> str:
        return f"{self.actor(username)}/inbox"

    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    def outbox(self, username: str) -> str:
        return f"{self.actor(username)}/outbox"

    def followers(self, username: str) -> str:
        return f"{self.actor(username)}/followers"

    def following(self, username: str) -> str:
        return f"{self.actor(username)}/following"

    def featured(self, username: str) -> str:
        return f"{self.actor(username)}/collections/featured"

    def profile(self, username: str) -> str:
        return f"{self.base}/@{username}"

    def status(self, username: str, status_id: int) -> str:
        return f"{self.actor(username)}/statuses/{status_id}"

    def status_activity(self, username: str, status_id: int) -> str:
        return f"{self.status(username, status_id)}/activity"

    def status_page(self, username: str, status_id: int) -> str:
        return f"{self.profile(username)}/{status_id}"

    def status_replies(self, username: str, status_id: int) -> str:
        return f"{self.status(username, status_id)}/replies"

    def activity(self, activity_id: int) -> str:
        """Ids of activities that are not objects of their own: Follow, Like, Undo, Accept, …"""
        return f"{self.base}/activities/{activity_id}"

    def tag(self, name: str) -> str:
        return f"{self.base}/tags/{quote(name)}"

    def actor_instance(self) -> str:
        """The node's own actor, which signs fetches that are not on behalf of a person."""
        return f"{self.base}/actor"

    def instance_key_id(self) -> str:
        return f"{self.actor_instance()}#main-key"
