"""Shared caches in Redis (issue 15, item 2): with REDIS_URL set, pages, fragments, cards and
the chrome one server renders are used by the others; values are plain text with a TTL and a
size bound under a prefix; a Redis outage degrades to rendering, never to an error, and Redis
is used again once it is back.

The sharing tests use Redis database 1 of the machine's server under a prefix of their own
(and delete only their own keys); the outage test starts its own redis-server, so that it can
stop it and start it again.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections import OrderedDict

import pytest
import redis

from storefront.core.shared_cache import EXTENSION, SharedCache, build_id, shared_cache
from storefront.domain.catalog.cards import CardCache, public_cards
from storefront.web.catalog_cache import CatalogMarkupCache
from storefront.web.page_cache import READY_ANSWERS
from tests.fixtures.app import count_queries
from tests.fixtures.pages import card_names, html

SHARED_REDIS = "redis://127.0.0.1:6379/1"


def redis_or_skip(url: str) -> redis.Redis:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {url}: {error}")
    return client


def install(app, url: str, **options) -> SharedCache:
    store = SharedCache(
        url,
        prefix=f"test-ocop:{uuid.uuid4().hex[:12]}",
        build_id="b1",
        ttl=options.get("ttl", 120),
        max_bytes=options.get("max_bytes", 512 * 1024),
        timeout=0.5,
        retry_seconds=0,  # ask again at once once it is back (no waiting in tests)
    )
    app.extensions[EXTENSION] = store
    return store


def same_page(page: str) -> str:
    """The page without its CSP nonce (new in each response)."""
    return re.sub(r'nonce="[^"]*"', 'nonce=""', page)


def forget_this_process(app) -> None:
    """What another server (or a restarted worker) has: nothing in its own memory."""
    app.extensions["catalog_markup"] = CatalogMarkupCache()
    app.extensions["listing_cards"] = CardCache()
    app.extensions["page_chrome"] = OrderedDict()
    app.extensions[READY_ANSWERS].forget()


def own_keys(client: redis.Redis, store: SharedCache) -> list[bytes]:
    return list(client.scan_iter(match=f"{store.prefix}:*", count=1000))


@pytest.fixture
def shared(app):
    client = redis_or_skip(SHARED_REDIS)
    forget_this_process(app)  # what earlier tests left in this worker's memory
    store = install(app, SHARED_REDIS)
    try:
        yield store, client
    finally:
        app.extensions.pop(EXTENSION, None)
        forget_this_process(app)
        keys = own_keys(client, store)
        if keys:
            client.delete(*keys)


def test_without_redis_url_there_is_no_shared_store(app):
    assert app.config["REDIS_URL"] == ""
    assert shared_cache() is None


def test_another_server_serves_what_the_first_rendered(app, client, db, shop, shared):
    store, redis_client = shared
    first = html(client.get("/products"))
    product = html(client.get("/products/vai-thieu-luc-ngan"))
    namespaces = {key.decode().split(":")[3] for key in own_keys(redis_client, store)}
    assert {"pages", "fragments", "card", "card-html", "chrome"} <= namespaces
    forget_this_process(app)
    with count_queries(db.engine) as statements:
        again = html(client.get("/products"))
        product_again = html(client.get("/products/vai-thieu-luc-ngan"))
    assert again == first and same_page(product_again) == same_page(product)
    # Only the catalog version, read once per request: the pages came from Redis.
    assert len(statements) == 2 and all("catalog_state" in s for s in statements)


def test_cards_come_from_redis_before_the_database(app, db, shop, shared):
    ids = [shop["vai"].id, shop["gom"].id, 999_999]
    with app.test_request_context():
        cards = public_cards(ids)
    forget_this_process(app)
    with app.app_context(), app.test_request_context(), count_queries(db.engine) as statements:
        assert public_cards(ids) == cards
    assert len(statements) == 1 and "catalog_state" in statements[0]  # the hidden id too


def test_values_are_plain_text_with_a_ttl_under_the_prefix(app, client, shop, shared):
    store, redis_client = shared
    client.get("/products")
    keys = own_keys(redis_client, store)
    assert keys
    for key in keys:
        assert key.decode().startswith(f"{store.prefix}:")
        assert 0 < redis_client.ttl(key) <= 120
        value = redis_client.get(key).decode("utf-8")  # text, never a pickle
        if key.decode().split(":")[3] == "card":
            fields = json.loads(value)
            assert fields is None or set(fields) >= {"listing_id", "name", "price"}


def test_a_value_above_the_bound_is_not_kept(app, client, shop, shared):
    store, redis_client = shared
    store.max_bytes = 2_000  # a card's markup fits, a page does not
    client.get("/products")
    namespaces = {key.decode().split(":")[3] for key in own_keys(redis_client, store)}
    assert "card" in namespaces and "pages" not in namespaces


def test_a_value_written_by_someone_else_is_a_miss_not_code(app, client, db, shop, shared):
    store, redis_client = shared
    vai = shop["vai"]
    with app.test_request_context():
        cards = public_cards([vai.id])
        card_key = store.key("card", (app.extensions["listing_cards"].key, vai.id))
    forget_this_process(app)
    # A pickle (of a call to os.system) where a card was: never unpickled, read as a miss.
    redis_client.set(card_key, b"\x80\x04\x95cos\nsystem\n(S'touch /tmp/pwned'\ntR.")
    with app.test_request_context():
        assert public_cards([vai.id]) == cards
    redis_client.set(card_key, json.dumps({"listing_id": vai.id, "bogus": 1}))
    forget_this_process(app)
    with app.test_request_context():
        assert public_cards([vai.id]) == cards
    assert "Vải thiều Lục Ngạn" in card_names(html(client.get("/products")))


def test_servers_of_another_release_do_not_share_markup(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "storefront").mkdir()
    (tmp_path / "static").mkdir()
    page = tmp_path / "templates" / "page.html"
    page.write_text("<p>one</p>")
    before = build_id(tmp_path)
    assert build_id(tmp_path) == before
    page.write_text("<p>two</p>")
    assert build_id(tmp_path) != before


# --- an outage ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server of this test's own, on a port of its own, that it can stop."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        for _ in range(100):  # ready within a few tenths of a second
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis(app):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(free_port())
    server.start()
    forget_this_process(app)
    store = install(app, server.url)
    try:
        yield server, store
    finally:
        server.stop()
        app.extensions.pop(EXTENSION, None)
        forget_this_process(app)


def test_a_redis_outage_degrades_to_rendering(app, client, db, shop, own_redis):
    server, store = own_redis
    probe = redis.Redis.from_url(server.url)
    assert "Vải thiều Lục Ngạn" in card_names(html(client.get("/products")))
    assert probe.dbsize() > 0
    server.stop()  # Redis goes away in the middle of the visits
    forget_this_process(app)
    for url in ("/products", "/search?q=vai", "/products/vai-thieu-luc-ngan", "/"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "Vải thiều Lục Ngạn" in card_names(html(client.get("/search?q=vai")))
    shop["vai"].packages[0].price = 175_000  # a change while Redis is away shows at once
    db.session.commit()
    assert "175.000" in html(client.get("/products/vai-thieu-luc-ngan"))
    assert store.failures > 0

    server.start()  # back, empty: used again at once (retry_seconds is 0 here)
    assert probe.dbsize() == 0
    page = html(client.get("/products"))
    assert "175.000" in page
    assert probe.dbsize() > 0 and store.failures == 0
    forget_this_process(app)
    with count_queries(db.engine) as statements:
        assert html(client.get("/products")) == page  # from Redis again
    assert len(statements) == 1


def test_a_closed_port_in_the_middle_of_the_visits(app, client, shop, shared):
    store, _ = shared
    first = html(client.get("/products/vai-thieu-luc-ngan"))
    store.connect(f"redis://127.0.0.1:{free_port()}/1")  # nothing listens there
    forget_this_process(app)
    for _ in range(3):
        response = client.get("/products/vai-thieu-luc-ngan")
        assert response.status_code == 200
        assert same_page(html(response)) == same_page(first)
    assert store.failures >= 1
    store.connect(SHARED_REDIS)
    forget_this_process(app)
    assert same_page(html(client.get("/products/vai-thieu-luc-ngan"))) == same_page(first)
    assert store.failures == 0  # answered from Redis again


def test_after_a_failure_redis_is_left_alone_for_a_while(app, client, shop, shared):
    store, _ = shared
    store.retry_seconds = 3600
    store.connect(f"redis://127.0.0.1:{free_port()}/1")
    client.get("/products")
    failures = store.failures
    assert failures == 1
    forget_this_process(app)
    assert client.get("/products").status_code == 200
    assert store.failures == failures  # not asked again: no timeout on every request


def test_the_first_page_after_a_change_takes_every_card_in_one_round_trip(
    app, client, db, shop, shared, monkeypatch
):
    from storefront.domain.catalog.version import bump

    store, _ = shared
    client.get("/products")
    bump(db.session)  # a change elsewhere in the catalog: every version-keyed entry is old
    db.session.commit()
    forget_this_process(app)
    asked: list[tuple[str, int]] = []
    get_many = store.get_many

    def counting(namespace, keys):
        asked.append((namespace, len(keys)))
        return get_many(namespace, keys)

    monkeypatch.setattr(store, "get_many", counting)
    page = html(client.get("/products"))
    assert "Vải thiều Lục Ngạn" in card_names(page)
    # The rendered cards outlive the version (keyed by the card itself): one MGET for both.
    assert [n for n in asked if n[0] == "card-html"] == [("card-html", 2)]
