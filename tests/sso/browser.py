"""A person's browser, as far as sign-in needs one: it follows redirects, keeps cookies, reads the
forms of a page and submits them (the provider's, the node's)."""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx2


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.forms.append({"action": found.get("action") or "", "method": (found.get("method") or "get").lower(),
                               "fields": {}, "buttons": []})
        elif self.forms and tag == "input" and found.get("name"):
            if found.get("type") in ("hidden", None, "text", "email", "password") and found.get("value") is not None:
                self.forms[-1]["fields"][found["name"]] = found["value"]
        elif self.forms and tag == "button":
            self.forms[-1]["buttons"].append((found.get("name"), found.get("value")))


class Browser:
    def __init__(self) -> None:
        self.http = httpx2.Client(follow_redirects=True, timeout=30)

    def get(self, url: str) -> httpx2.Response:
        return self.http.get(url)

    @staticmethod
    def forms(page: httpx2.Response) -> list[dict]:
        parser = _Forms()
        parser.feed(page.text)
        return parser.forms

    def submit(self, page: httpx2.Response, index: int = 0, **values: str) -> httpx2.Response:
        """Fill in and send the page's form number `index` (hidden fields kept)."""
        form = self.forms(page)[index]
        data = {**form["fields"], **values}
        action = urljoin(str(page.url), form["action"] or str(page.url))
        if form["method"] == "post":
            return self.http.post(action, data=data)
        return self.http.get(action, params=data)

    def close(self) -> None:
        self.http.close()
