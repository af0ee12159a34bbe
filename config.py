"""Configuration classes; every setting can be overridden from the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
_INSTANCE = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{_INSTANCE / 'ocop.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # A PostgreSQL read replica of DATABASE_URL (storefront/core/replica.py): searches and
    # suggestions (SEARCH_BACKEND=postgres) and the PFA dashboard's statistics read there;
    # everything else, and a signed-in user's requests for REPLICA_STICKY_SECONDS after their
    # own write, read the primary. Unset: everything on the primary.
    DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
    REPLICA_STICKY_SECONDS = float(os.environ.get("REPLICA_STICKY_SECONDS", "5"))
    # A database server's pooled connection is pinged before use only when it sat idle this
    # long (storefront/core/pool.py); 0: at every checkout (pool_pre_ping).
    DATABASE_PING_IDLE_SECONDS = float(os.environ.get("DATABASE_PING_IDLE_SECONDS") or 10)
    # whoosh: an index folder per server (one machine). postgres: tables in the PostgreSQL
    # database, written in the same transaction as each catalog change, shared by every
    # server (needs the unaccent and pg_trgm extensions; refused at startup on SQLite).
    SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "whoosh")
    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR", str(_INSTANCE / "search"))  # whoosh
    # postgres: past this many matches a search's total and facet counts are estimated from
    # one listing in eight ("About 15,000 products", no counts beside the filters); the
    # results themselves stay exact. 0: every count exact (each match read: ~1 µs a row).
    SEARCH_EXACT_COUNTS_UP_TO = _env_int("SEARCH_EXACT_COUNTS_UP_TO", 5000)
    # /search?explain=1 shows why each result ranks where it does (always on in debug).
    SEARCH_EXPLAIN = _env_bool("SEARCH_EXPLAIN", False)
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(_INSTANCE / "uploads"))
    # Certificate scans are private: kept outside UPLOAD_DIR (the public media root), so no
    # route or web server that serves UPLOAD_DIR can ever reach them.
    SCAN_DIR = os.environ.get("SCAN_DIR", str(_INSTANCE / "scans"))
    # Listing photos' originals as uploaded, waiting for their processing job: private, so
    # outside UPLOAD_DIR too (MEDIA_STORAGE=local; with s3, S3_PRIVATE_PREFIX below). Every
    # server and worker must see the same folder (as UPLOAD_DIR).
    PRIVATE_MEDIA_DIR = os.environ.get("PRIVATE_MEDIA_DIR", str(_INSTANCE / "private"))
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
    # Where listing photos and cooperative logos are kept (storefront/core/storage.py,
    # docs/deployment.md "Photos"): "local" (UPLOAD_DIR, the default) or "s3" (any
    # S3-compatible store: AWS, MinIO, Viettel, VNG; needs the `s3` extra, boto3). Certificate
    # scans always stay in SCAN_DIR, whatever this says: they are never put in the bucket.
    MEDIA_STORAGE = os.environ.get("MEDIA_STORAGE", "local")
    S3_BUCKET = os.environ.get("S3_BUCKET", "")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL") or None  # unset: AWS
    S3_REGION = os.environ.get("S3_REGION") or None
    S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID") or None  # unset: boto3's own chain
    S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY") or None
    # Keys are S3_PREFIX + "listings/…" or "logos/…" (e.g. "media/" to share a bucket).
    S3_PREFIX = os.environ.get("S3_PREFIX", "")
    # A public address of the bucket (or a CDN in front of it): pages link photos there.
    # Unset, pages keep linking /media/…, which the app streams from the bucket.
    S3_PUBLIC_BASE_URL = os.environ.get("S3_PUBLIC_BASE_URL", "")
    # Originals waiting for processing: keys S3_PRIVATE_PREFIX + "originals/<stem>" in
    # S3_PRIVATE_BUCKET (unset: S3_BUCKET). No public address; keep it out of any public read
    # policy of the bucket.
    S3_PRIVATE_BUCKET = os.environ.get("S3_PRIVATE_BUCKET", "")
    S3_PRIVATE_PREFIX = os.environ.get("S3_PRIVATE_PREFIX", "private/")

    # Languages: Vietnamese is the shop's first language.
    LANGUAGES = ("vi", "en")
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    # The shop's "today" (storefront.core.clock): certificates expire at midnight here.
    SHOP_TIMEZONE = os.environ.get("SHOP_TIMEZONE", "Asia/Ho_Chi_Minh")

    # The shop's public address: every absolute link (e-mails, QR codes, labels, Stripe's
    # return pages, canonical links) is built from it (storefront.core.urls), never from the
    # request's Host header, which the client chooses. Required in production.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"
    # Other host names the app answers besides PUBLIC_BASE_URL's (comma-separated), e.g. the
    # address a load balancer's health check uses. Once any is listed, or in production, a
    # request for any other host gets 400 (Flask's TRUSTED_HOSTS).
    TRUSTED_HOSTS = os.environ.get("TRUSTED_HOSTS") or None
    ONLY_TRUSTED_HOSTS = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = timedelta(days=_env_int("REMEMBER_COOKIE_DAYS", 30))
    WTF_CSRF_TIME_LIMIT = None
    # Strict-Transport-Security max-age in seconds (storefront/web/headers.py); 0 sends none.
    # Only where the site is served over HTTPS: production.
    HSTS_MAX_AGE = _env_int("HSTS_MAX_AGE", 0)

    # Payments: card payment appears only when both Stripe keys are set.
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    # Stripe lets a Checkout Session live 30 minutes at the least; one more absorbs clock skew.
    STRIPE_CHECKOUT_MINUTES = _env_int("STRIPE_CHECKOUT_MINUTES", 31)
    # `orders expire-unpaid` waits this long past a session's expiry, so a late webhook wins.
    UNPAID_ORDER_GRACE_MINUTES = _env_int("UNPAID_ORDER_GRACE_MINUTES", 15)
    STRIPE_HTTP_CLIENT = None  # a stripe.HTTPClient; tests put a recording fake here

    # Bank transfer by VietQR (NAPAS 247): offered only when all three are set
    # (domain/payments/vietqr.py). The BIN is the bank's 6 digits (core/vn_banks.py).
    VIETQR_BANK_BIN = os.environ.get("VIETQR_BANK_BIN", "")
    VIETQR_ACCOUNT_NUMBER = os.environ.get("VIETQR_ACCOUNT_NUMBER", "")
    VIETQR_ACCOUNT_NAME = os.environ.get("VIETQR_ACCOUNT_NAME", "")
    # An unpaid transfer order holds its stock this long, then `orders expire-unpaid` cancels it.
    VIETQR_TRANSFER_HOLD_MINUTES = _env_int("VIETQR_TRANSFER_HOLD_MINUTES", 30)
    # SePay's bank-notification webhook (POST /webhooks/sepay) authenticates with
    # `Authorization: Apikey <this>`; unset, the endpoint answers 404.
    SEPAY_WEBHOOK_API_KEY = os.environ.get("SEPAY_WEBHOOK_API_KEY", "")

    # Settlement ledger (domain/ledger): the platform's commission on goods (not shipping), in
    # basis points (500 = 5 %), per order line rounded down to the đồng; per OCOP group
    # overrides as "group:bps,..." (e.g. "4:800,6:300"); the least balance a payout pays.
    LEDGER_COMMISSION_RATE_BPS = _env_int("LEDGER_COMMISSION_RATE_BPS", 500)
    LEDGER_COMMISSION_RATE_BPS_BY_GROUP = os.environ.get("LEDGER_COMMISSION_RATE_BPS_BY_GROUP", "")
    LEDGER_PAYOUT_THRESHOLD = _env_int("LEDGER_PAYOUT_THRESHOLD", 200_000)

    # payOS payment links (domain/payments/payos.py): offered only when all three are set.
    PAYOS_CLIENT_ID = os.environ.get("PAYOS_CLIENT_ID", "")
    PAYOS_API_KEY = os.environ.get("PAYOS_API_KEY", "")
    PAYOS_CHECKSUM_KEY = os.environ.get("PAYOS_CHECKSUM_KEY", "")
    # A payment link (and the stock its order holds) lives this long.
    PAYOS_LINK_MINUTES = _env_int("PAYOS_LINK_MINUTES", 30)
    PAYOS_HTTP_CLIENT = None  # an httpx.Client; tests put a recording fake here

    # Shipping, per cooperative's shipment, in đồng: the first 500 g, then each further
    # 500 g, by zone (the buyer's province is the cooperative's, or another one).
    SHIPPING_FIRST_500G = {"same_province": 20_000, "other_province": 30_000}
    SHIPPING_EXTRA_500G = {"same_province": 5_000, "other_province": 10_000}
    FREE_SHIPPING_FROM = _env_int("FREE_SHIPPING_FROM", 500_000)  # a shipment's subtotal
    CART_MAX_QUANTITY = 99  # per cart line

    # E-mail: written to the log and instance/outbox unless MAIL_SERVER is set.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _env_int("MAIL_PORT", 587)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", True)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "OCOP Market <no-reply@ocop.local>")
    MAIL_OUTBOX_DIR = os.environ.get("MAIL_OUTBOX_DIR", str(_INSTANCE / "outbox"))
    # Seconds; a stuck SMTP server must not hang a worker.
    MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 10)

    # Jobs after a commit (storefront/domain/jobs, docs/deployment.md "Jobs"): every e-mail and
    # every slow or remote effect of a change is a row of the job outbox, written in the same
    # transaction. "inline" (the default) runs them in this process right after the commit;
    # "rq" hands them to `flask jobs worker` processes through Redis (REDIS_URL).
    REDIS_URL = os.environ.get("REDIS_URL", "")
    JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "inline")
    JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "ocop")
    # A failed job is tried again after JOBS_BACKOFF_SECONDS · 2^(tries - 1), at most
    # JOBS_BACKOFF_MAX_SECONDS, until JOBS_MAX_ATTEMPTS tries (then it is given up and kept).
    JOBS_MAX_ATTEMPTS = _env_int("JOBS_MAX_ATTEMPTS", 8)
    JOBS_BACKOFF_SECONDS = _env_int("JOBS_BACKOFF_SECONDS", 30)
    JOBS_BACKOFF_MAX_SECONDS = _env_int("JOBS_BACKOFF_MAX_SECONDS", 3600)
    # A running job holds its row this long; past it, a job whose worker died is run again.
    # Longer than any job (MAIL_TIMEOUT and the payment providers' timeouts).
    JOBS_LEASE_SECONDS = _env_int("JOBS_LEASE_SECONDS", 120)
    # RQ stops a job that runs longer than this (keep it under JOBS_LEASE_SECONDS).
    JOBS_TIMEOUT_SECONDS = _env_int("JOBS_TIMEOUT_SECONDS", 90)
    # `flask jobs relay`: seconds between passes when nothing was due.
    JOBS_RELAY_INTERVAL = float(os.environ.get("JOBS_RELAY_INTERVAL", "1"))
    # `flask jobs scheduler`: when the periodic jobs run (cron syntax, UTC; "" turns one off).
    JOBS_SCHEDULE = {
        "certificates-remind": os.environ.get("JOBS_CRON_REMIND", "7 * * * *"),
        "orders-expire-unpaid": os.environ.get("JOBS_CRON_EXPIRE_UNPAID", "*/5 * * * *"),
        "payments-reconcile": os.environ.get("JOBS_CRON_RECONCILE", "*/15 * * * *"),
        "cart-purge-guest-carts": os.environ.get("JOBS_CRON_PURGE_CARTS", "30 20 * * *"),
        "reviews-remind": os.environ.get("JOBS_CRON_REVIEW_REMIND", "37 * * * *"),
        "jobs-purge": os.environ.get("JOBS_CRON_PURGE_JOBS", "45 20 * * *"),
    }
    # Outbox rows kept after they are done, and after they are given up (for staff, `flask
    # jobs status`), in days; then "jobs-purge" (or `flask jobs purge` from cron) deletes them.
    JOBS_KEEP_DONE_DAYS = _env_int("JOBS_KEEP_DONE_DAYS", 7)
    JOBS_KEEP_FAILED_DAYS = _env_int("JOBS_KEEP_FAILED_DAYS", 30)

    # Password reset links: signed, valid this many seconds and only until the password changes.
    PASSWORD_RESET_MAX_AGE = _env_int("PASSWORD_RESET_MAX_AGE", 3600)
    # E-mail verification and e-mail change links: signed, valid this many seconds, used once.
    EMAIL_LINK_MAX_AGE = _env_int("EMAIL_LINK_MAX_AGE", 3 * 24 * 3600)
    # Invitations to join a cooperative: valid this many days; at most so many sent a day per
    # cooperative and per inviting owner (withdrawn ones count too).
    INVITATION_VALID_DAYS = _env_int("INVITATION_VALID_DAYS", 14)
    INVITATIONS_PER_COOPERATIVE_PER_DAY = _env_int("INVITATIONS_PER_COOPERATIVE_PER_DAY", 10)
    INVITATIONS_PER_USER_PER_DAY = _env_int("INVITATIONS_PER_USER_PER_DAY", 20)
    # werkzeug's generate_password_hash method: slow on purpose, so a stolen hash is costly
    # to guess. Read for each new hash: stored hashes keep their own method.
    PASSWORD_HASH_METHOD = "scrypt"

    # Rate limits (Flask-Limiter): memory by default, Redis in production.
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # A moving window: no burst of twice the limit around a window boundary.
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "ocop")
    # If Redis goes away, keep limiting per process rather than failing every log-in.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per minute")
    LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "20 per minute")
    RESET_LIMIT_PER_ACCOUNT = os.environ.get("RESET_LIMIT_PER_ACCOUNT", "3 per 15 minutes")
    RESET_LIMIT_PER_IP = os.environ.get("RESET_LIMIT_PER_IP", "20 per hour")
    REGISTER_LIMIT_PER_IP = os.environ.get("REGISTER_LIMIT_PER_IP", "10 per hour")
    # Change password / e-mail check the current password: no guessing it from a stolen session.
    PASSWORD_CHECK_LIMIT_PER_USER = os.environ.get("PASSWORD_CHECK_LIMIT_PER_USER", "5 per minute")
    # Re-sending the e-mail verification link, per account.
    VERIFY_SEND_LIMIT_PER_USER = os.environ.get("VERIFY_SEND_LIMIT_PER_USER", "3 per hour")
    # How many proxies (load balancer, nginx) sit in front of the app and set X-Forwarded-For.
    # Per-IP limits need the client's address, not the proxy's; 0 trusts no header.
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)

    CATALOG_PAGE_SIZE = _env_int("CATALOG_PAGE_SIZE", 24)

    # Shared caches (storefront/core/shared_cache.py): with REDIS_URL set, rendered pages,
    # fragments, cards and the page chrome are shared by every app server through Redis, in
    # front of each process's own. Keys start with the prefix; each value lives at most the TTL
    # (seconds) and none above MAX_BYTES is kept. A Redis that does not answer within TIMEOUT
    # seconds is a miss, and is not asked again for RETRY_SECONDS. BUILD_ID: the release's
    # name (e.g. its git commit); unset, a hash of the templates, translations and code.
    REDIS_URL = os.environ.get("REDIS_URL", "")
    REDIS_CACHE_PREFIX = os.environ.get("REDIS_CACHE_PREFIX", "ocop:cache")
    REDIS_CACHE_TTL = _env_int("REDIS_CACHE_TTL", 3600)
    REDIS_CACHE_MAX_BYTES = _env_int("REDIS_CACHE_MAX_BYTES", 512 * 1024)
    REDIS_CACHE_TIMEOUT = float(os.environ.get("REDIS_CACHE_TIMEOUT") or 0.25)
    REDIS_CACHE_RETRY_SECONDS = float(os.environ.get("REDIS_CACHE_RETRY_SECONDS") or 5)
    REDIS_CACHE_BUILD_ID = os.environ.get("REDIS_CACHE_BUILD_ID", "")

    # HTTP caching of anonymous catalog pages (storefront/web/http_cache.py): a shared cache
    # (CDN, proxy) may keep them MAX_AGE seconds (s-maxage) and serve them up to
    # STALE_WHILE_REVALIDATE seconds longer while it asks again; the visitor's browser keeps
    # them BROWSER_MAX_AGE seconds (0: it revalidates each visit, a 304 when nothing changed,
    # so a revoked certificate is gone from its screen at once). 0 for MAX_AGE turns public
    # caching off.
    HTTP_CACHE_MAX_AGE = _env_int("HTTP_CACHE_MAX_AGE", 30)
    HTTP_CACHE_BROWSER_MAX_AGE = _env_int("HTTP_CACHE_BROWSER_MAX_AGE", 0)
    HTTP_CACHE_STALE_WHILE_REVALIDATE = _env_int("HTTP_CACHE_STALE_WHILE_REVALIDATE", 60)

    # Stock hoarding: placing orders is rate-limited (every checkout POST but "Show the
    # communes", per client IP and per normalised phone and e-mail, counted like the log-in
    # limits), and a cash-on-delivery order, which takes stock without paying, is capped.
    ORDER_RATE_LIMIT_PER_IP = os.environ.get("ORDER_RATE_LIMIT_PER_IP", "10 per hour;30 per day")
    ORDER_RATE_LIMIT_PER_CONTACT = os.environ.get(
        "ORDER_RATE_LIMIT_PER_CONTACT", "5 per hour;10 per day"
    )
    # A guest's order link (e-mails, the confirmation page): signed, valid this many days, in
    # any browser. The order lookup (number + phone) is limited like the log-in: per client IP
    # and per order number, so neither a number nor a phone can be guessed by trying.
    ORDER_LINK_MAX_AGE_DAYS = _env_int("ORDER_LINK_MAX_AGE_DAYS", 90)
    # Reviews: the signed link of the review reminder (one per delivered line) opens the review
    # form without logging in for this many days. Writing (or editing) a review is limited per
    # buyer or IP, reports per visitor and per IP (moving window, like the other limits).
    REVIEW_LINK_MAX_AGE_DAYS = _env_int("REVIEW_LINK_MAX_AGE_DAYS", 90)
    REVIEW_WRITE_LIMIT = os.environ.get("REVIEW_WRITE_LIMIT", "10 per hour;30 per day")
    REVIEW_REPORT_LIMIT_PER_VISITOR = os.environ.get(
        "REVIEW_REPORT_LIMIT_PER_VISITOR", "10 per hour;30 per day"
    )
    REVIEW_REPORT_LIMIT_PER_IP = os.environ.get("REVIEW_REPORT_LIMIT_PER_IP", "30 per hour")
    ORDER_LOOKUP_LIMIT_PER_IP = os.environ.get("ORDER_LOOKUP_LIMIT_PER_IP", "20 per minute")
    ORDER_LOOKUP_LIMIT_PER_NUMBER = os.environ.get(
        "ORDER_LOOKUP_LIMIT_PER_NUMBER", "5 per minute;20 per hour"
    )
    # "Helpful" votes on reviews, per client IP (each visitor votes once per review anyway).
    REVIEW_VOTE_RATE_LIMIT = os.environ.get("REVIEW_VOTE_RATE_LIMIT", "30 per hour;100 per day")
    # Units of one package in one cash-on-delivery order (0: no cap).
    COD_MAX_UNITS_PER_PACKAGE = _env_int("COD_MAX_UNITS_PER_PACKAGE", 10)
    # Cash-on-delivery orders one phone may have waiting for a cooperative to confirm them
    # (a part still "new": not packed, shipped or cancelled); 0: no cap.
    COD_MAX_OPEN_ORDERS_PER_PHONE = _env_int("COD_MAX_OPEN_ORDERS_PER_PHONE", 3)


class DevelopmentConfig(Config):
    """A fresh machine: SQLite in instance/, debug on."""

    DEBUG = True


class TestingConfig(Config):
    """Tests: an isolated database (SQLite in a temp file unless TEST_DATABASE_URL is set)."""

    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    # No replica unless a test sets one (tests/test_read_replica.py).
    DATABASE_REPLICA_URL = ""
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    # The shared cache only where a test sets it (tests/web/test_redis_cache.py).
    REDIS_URL = ""
    # The test client's own host, so pages and e-mails agree; tests of forged hosts send
    # another one.
    PUBLIC_BASE_URL = "http://localhost"
    TRUSTED_HOSTS = None
    # One cheap round instead of scrypt: hashing was a third of the suite's time. Tests
    # asserting the production method set Config.PASSWORD_HASH_METHOD back.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"
    # Most tests place many orders with one phone; the tests of the caps turn them on.
    COD_MAX_UNITS_PER_PACKAGE = 0
    COD_MAX_OPEN_ORDERS_PER_PHONE = 0
    # Jobs run inline after each commit, whatever the environment says (tests of the queue
    # turn it on with their own Redis database and queue name).
    JOBS_BACKEND = "inline"
    # Photos on disk under the test's own folder, whatever the environment says (the tests
    # of S3 storage set "s3" on their own app, against moto's in-process S3).
    MEDIA_STORAGE = "local"


class ProductionConfig(Config):
    """Production: refuses to start without a real secret key, database and public address;
    answers only the public address's host (and TRUSTED_HOSTS)."""

    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    ONLY_TRUSTED_HOSTS = True
    HSTS_MAX_AGE = _env_int("HSTS_MAX_AGE", 365 * 24 * 3600)  # a year: HTTPS only

    @classmethod
    def validate(cls) -> None:
        required = ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL")
        missing = [name for name in required if not os.environ.get(name)]
        if missing:
            raise RuntimeError(
                "ProductionConfig needs these environment variables: " + ", ".join(missing)
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
