"""Rendered markup and card snapshots shared by every app server, in Redis (`REDIS_URL`).

The in-process caches (web/catalog_cache.py, web/chrome.py, domain/catalog/cards.py) stay in
front: a hit there costs no round trip. On a miss they ask this store before rendering, and
keep what they render here too, so the first view after a change is rendered by one server
(or one worker) and not by each.

What is stored, and how:
- only text: rendered HTML (UTF-8) or JSON that the app made from its own plain values (a
  card's fields). Nothing is pickled, so a value written into Redis by anyone else can at
  worst show wrong text, never run code; a value that does not parse is a miss.
- under `<REDIS_CACHE_PREFIX>:<namespace>:<sha256 of the key>`, where the key holds the catalog
  version and date (cards.catalog_cache_key) for catalog-dependent entries, and always this
  build's fingerprint (`build_id`: a hash of the templates, translations and code), so
  servers running another release never share markup.
- each with a TTL (`REDIS_CACHE_TTL`), and nothing above `REDIS_CACHE_MAX_BYTES`. Entries of an
  old catalog version are never read again and expire; Redis should run with
  `maxmemory-policy allkeys-lru` (or volatile-lru) so the cache can never fill it.

Redis unreachable, slow (`REDIS_CACHE_TIMEOUT`) or answering errors: the call is a miss (or a
store that did not happen), logged once, and the store is not asked again for
`REDIS_CACHE_RETRY_SECONDS`; pages are rendered as without Redis. When it answers again it is
used again. Without REDIS_URL there is no store and everything stays in the process.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import redis
from flask import Flask, current_app

log = logging.getLogger(__name__)

EXTENSION = "shared_cache"
ROOT = "release_root"  # app.extensions: the folder whose files make the release's fingerprint
_RELEASES: dict[Path, str] = {}


class SharedCache:
    """A text store in Redis that never raises: every failure is a miss."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str,
        build_id: str,
        ttl: int,
        max_bytes: int,
        timeout: float,
        retry_seconds: float,
    ) -> None:
        self.prefix = f"{prefix}:{build_id}"
        self.ttl = ttl
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.retry_seconds = retry_seconds
        self.down_until = 0.0  # time.monotonic() before which Redis is not asked
        self.failures = 0
        self.connect(url)

    def connect(self, url: str) -> None:
        """Use the Redis at `url` from now on (tests point it elsewhere)."""
        self.url = url
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=self.timeout,
            socket_connect_timeout=self.timeout,
            retry_on_timeout=False,
            health_check_interval=30,
        )
        self.down_until = 0.0

    def key(self, namespace: str, key: object) -> str:
        digest = hashlib.sha256(repr(key).encode()).hexdigest()
        return f"{self.prefix}:{namespace}:{digest}"

    # --- the calls: each a miss (None) when Redis is away ---------------------------------

    def get(self, namespace: str, key: object) -> str | None:
        values = self.get_many(namespace, [key])
        return values[0] if values else None

    def get_many(self, namespace: str, keys: Sequence[object]) -> list[str | None]:
        """The stored text of each key (None where there is none), in one round trip."""
        if not keys or not self._available():
            return [None] * len(keys)
        try:
            raw = self.client.mget([self.key(namespace, k) for k in keys])
        except redis.RedisError as error:
            self._failed(error)
            return [None] * len(keys)
        self.failures = 0
        return [_text(value) for value in raw]

    def set(self, namespace: str, key: object, value: str) -> None:
        self.set_many(namespace, [(key, value)])

    def set_many(self, namespace: str, items: Iterable[tuple[object, str]]) -> None:
        """Store each (key, text) with the TTL, skipping texts above the size bound."""
        entries = [
            (self.key(namespace, key), data)
            for key, value in items
            if len(data := value.encode()) <= self.max_bytes
        ]
        if not entries or not self._available():
            return
        try:
            pipe = self.client.pipeline(transaction=False)
            for name, data in entries:
                pipe.set(name, data, ex=self.ttl)
            pipe.execute()
        except redis.RedisError as error:
            self._failed(error)
            return
        self.failures = 0

    # --- outages ----------------------------------------------------------------------------

    def _available(self) -> bool:
        return time.monotonic() >= self.down_until

    def _failed(self, error: Exception) -> None:
        if self.failures == 0:
            log.warning("shared cache unavailable (%s); rendering without it", error)
        self.failures += 1
        self.down_until = time.monotonic() + self.retry_seconds
        try:  # drop the broken connections, so the next try opens a fresh one
            self.client.connection_pool.disconnect()
        except redis.RedisError:
            pass


def _text(value: object) -> str | None:
    if not isinstance(value, bytes):
        return None
    try:
        return value.decode()
    except UnicodeDecodeError:
        return None


def build_id(root: Path) -> str:
    """A fingerprint of what renders the pages: templates, translations, code, JS and CSS.
    Two servers running the same release agree on it; a deploy changes it."""
    digest = hashlib.sha256()
    for folder, patterns in (
        ("templates", ("*.html", "*.xml", "*.txt")),
        ("storefront", ("*.py", "*.mo")),
        ("static", ("*.js", "*.css", "*.svg")),
    ):
        base = root / folder
        files = sorted({path for pattern in patterns for path in base.rglob(pattern)})
        for path in files:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def release_id() -> str:
    """This app's release: REDIS_CACHE_BUILD_ID, else build_id() of its files, computed once
    per process (some 0.1 s) when first asked."""
    configured = str(current_app.config.get("REDIS_CACHE_BUILD_ID") or "")
    if configured:
        return configured
    root: Path = current_app.extensions[ROOT]
    if root not in _RELEASES:
        _RELEASES[root] = build_id(root)
    return _RELEASES[root]


def shared_cache() -> SharedCache | None:
    """This app's shared store, or None without REDIS_URL."""
    return current_app.extensions.get(EXTENSION)


def init_app(app: Flask, root: Path) -> None:
    app.extensions[ROOT] = root
    url = app.config.get("REDIS_URL")
    if not url:
        app.extensions.pop(EXTENSION, None)
        return
    with app.app_context():
        release = release_id()
    app.extensions[EXTENSION] = SharedCache(
        url,
        prefix=app.config["REDIS_CACHE_PREFIX"],
        build_id=release,
        ttl=app.config["REDIS_CACHE_TTL"],
        max_bytes=app.config["REDIS_CACHE_MAX_BYTES"],
        timeout=app.config["REDIS_CACHE_TIMEOUT"],
        retry_seconds=app.config["REDIS_CACHE_RETRY_SECONDS"],
    )
