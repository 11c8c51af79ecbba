"""Every route also answers with one trailing slash, as Mastodon's do.

Mastodon.py asks for `/api/v1/instance/`, `/api/v1/conversations/`, `/api/v1/admin/domain_blocks/`
and more with a trailing slash; Rails accepts it on every route. Rather than registering each path
twice, one resource, registered after all the others and indexed at the root (so the router tries
it last), resolves a path that matched nothing once more without its final slash. No redirect, so a
POST keeps its body, and a path that matches first costs nothing extra.
"""
from __future__ import annotations

from typing import Iterator

from aiohttp import web
from aiohttp.web_urldispatcher import AbstractResource, AbstractRoute
from yarl import URL


class ForgiveTrailingSlash(AbstractResource):
    def __init__(self, router: web.UrlDispatcher) -> None:
        super().__init__()
        self._router = router

    @property
    def canonical(self) -> str:
        return "/"

    async def resolve(self, request: web.Request):  # noqa: ANN201 - aiohttp's (match, allowed) pair
        path = request.rel_url.path
        if len(path) < 2 or not path.endswith("/") or path.endswith("//"):
            return None, set()
        match = await self._router.resolve(request.clone(rel_url=URL.build(path=path[:-1])))
        error = match.http_exception
        if error is None:
            return match, set()
        return None, set(getattr(error, "allowed_methods", ()))

    def url_for(self, **kwargs: str) -> URL:
        raise NotImplementedError("a fallback has no URL of its own")

    def add_prefix(self, prefix: str) -> None:
        raise NotImplementedError("register it on the main application")

    def get_info(self) -> dict:
        return {"forgives": "one trailing slash"}

    def raw_match(self, path: str) -> bool:
        return False

    def __len__(self) -> int:
        return 0

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(())


def forgive_trailing_slashes(app: web.Application) -> None:
    """Call after every route is added."""
    app.router.register_resource(ForgiveTrailingSlash(app.router))
