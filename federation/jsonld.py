"""JSON-LD processing with bundled contexts only.

Backchannel never fetches a JSON-LD context over the network: the contexts it
understands are shipped as data files in ``federation/contexts/`` (see
``index.json`` there for the URL → file map). Any other context URL makes
processing fail with :class:`ContextNotBundled`.

pyld's process-wide state is left alone: the default document loader is never
replaced and the shared resolved-context cache is not used. Every call passes
our loader and our own context resolver through the options instead.
"""

from __future__ import annotations

import copy
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from federation.context import AS_CONTEXT
from pyld import jsonld
from pyld.context_resolver import ContextResolver
from pyld.jsonld import JsonLdError

__all__ = [
    "AS_CONTEXT",
    "ContextNotBundled",
    "bundled_context_urls",
    "compact",
    "document_loader",
    "expand",
]

CONTEXTS_DIR = Path(__file__).with_name("contexts")



class ContextNotBundled(JsonLdError, ValueError):
    """A document referenced a context URL that is not in the bundle.

    It is both a pyld ``JsonLdError`` and a ``ValueError``, so callers may
    catch whichever they already handle.
    """

    def __init__(self, url: str):
        super().__init__(
            f"JSON-LD context is not bundled (remote contexts are never fetched): {url}",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading document failed",
        )
        self.url = url


@cache
def _index() -> dict[str, str]:
    with (CONTEXTS_DIR / "index.json").open(encoding="utf-8") as f:
        return json.load(f)


@cache
def _load_bundled(filename: str) -> dict:
    with (CONTEXTS_DIR / filename).open(encoding="utf-8") as f:
        return json.load(f)


def bundled_context_urls() -> frozenset[str]:
    """Every URL (including its common variants) the loader can answer."""
    return frozenset(_index())


def _lookup(url: str) -> str | None:
    index = _index()
    filename = index.get(url)
    if filename is None and "#" in url:
        filename = index.get(url.split("#", 1)[0])
    return filename


def document_loader(url: str, options: Mapping[str, Any] | None = None) -> dict:
    """pyld document loader that answers from the bundle and never does I/O.

    Returns a fresh copy each time (pyld rewrites contexts in place).
    Raises :class:`ContextNotBundled` for every URL that is not bundled.
    """
    filename = _lookup(url) if isinstance(url, str) else None
    if filename is None:
        raise ContextNotBundled(str(url))
    return {
        "contextUrl": None,
        "documentUrl": url,
        "contentType": "application/ld+json",
        "document": copy.deepcopy(_load_bundled(filename)),
    }


class _LockedCache:
    """The tiny mapping surface pyld's ContextResolver uses, made thread-safe.

    Resolved contexts are cached across calls (bundled contexts are static), but
    in a cache of our own rather than pyld's module-level one, which any other
    code in the process could fill through a network-backed loader.
    """

    def __init__(self, maxsize: int):
        self._cache: OrderedDict = OrderedDict()
        self._maxsize = maxsize
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            if key not in self._cache:
                return default
            self._cache.move_to_end(key)
            return self._cache[key]

    def __getitem__(self, key):
        with self._lock:
            self._cache.move_to_end(key)
            return self._cache[key]

    def __setitem__(self, key, value) -> None:
        with self._lock:
            self._cache[key] = value
            self._cache.move_to_end(key)
            while len(self._cache) > self._maxsize:
                self._cache.popitem(last=False)

    def __contains__(self, key) -> bool:
        with self._lock:
            return key in self._cache


_resolved_contexts = _LockedCache(maxsize=256)


def _options(extra: Mapping[str, Any] | None = None) -> dict:
    options = dict(extra or {})
    options["documentLoader"] = document_loader
    options["contextResolver"] = ContextResolver(_resolved_contexts, document_loader)
    return options


def _not_bundled_cause(exc: BaseException) -> ContextNotBundled | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ContextNotBundled):
            return current
        seen.add(id(current))
        nxt = current.__cause__ or current.__context__
        if nxt is None and isinstance(current, JsonLdError):
            cause = getattr(current, "cause", None)
            nxt = cause if isinstance(cause, BaseException) else None
        current = nxt
    return None


@contextmanager
def _naming_missing_contexts() -> Iterator[None]:
    """Turn a pyld error caused by a context that is not bundled into ContextNotBundled."""
    try:
        yield
    except ContextNotBundled:
        raise
    except JsonLdError as exc:
        missing = _not_bundled_cause(exc)
        if missing is not None:
            raise ContextNotBundled(missing.url) from exc
        raise


def expand(doc: dict, **options: Any) -> list:
    """Expand ``doc`` using only bundled contexts.

    Raises :class:`ContextNotBundled` when the document needs a context that is
    not bundled, and pyld's ``JsonLdError`` for other JSON-LD errors.
    """
    with _naming_missing_contexts():
        return jsonld.expand(doc, _options(options))


def compact(doc: dict, context: Any, **options: Any) -> dict:
    """Compact ``doc`` against ``context`` using only bundled contexts.

    Errors as for :func:`expand`.
    """
    with _naming_missing_contexts():
        return jsonld.compact(doc, context, _options(options))
