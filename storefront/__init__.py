"""OCOP Market: the application factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

BASE_DIR = Path(__file__).resolve().parent.parent


def N_(message: str) -> str:
    """Mark a string for translation without translating it (it is translated when shown)."""
    return message


def create_app(config: Any = None) -> Flask:
    """Build the app. `config` is a config name, a class, or a mapping of overrides (tests)."""
    import config as config_module

    instance_path = os.environ.get("INSTANCE_PATH", str(BASE_DIR / "instance"))
    app = Flask(
        __name__,
        instance_path=instance_path,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
    )

    overrides: dict[str, Any] = {}
    if config is None or isinstance(config, str):
        name = config or os.environ.get("FLASK_CONFIG", "development")
        config_cls = config_module.CONFIGS[name]
    elif isinstance(config, dict):
        config_cls = config_module.CONFIGS[config.pop("CONFIG", "testing")]
        overrides = config
    else:
        config_cls = config
    if hasattr(config_cls, "validate"):
        config_cls.validate()
    # Every <int:...> in the app: ASCII digits within the database's integer range, else 404.
    from storefront.core.inputs import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter
    app.config.from_object(config_cls)
    app.config.update(overrides)
    _tune_sqlite(app)
    ping_after_idle = _ping_after_idle(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from storefront.web import page_cache

    # Before any middleware wraps the app (ProxyFix, in register_extensions).
    page_cache.init_app(app)
    register_extensions(app)
    if ping_after_idle:
        from storefront.core.pool import ping_when_idle
        from storefront.extensions import db

        with app.app_context():
            ping_when_idle(db.engine, app.config["DATABASE_PING_IDLE_SECONDS"])
    # Template helpers first: a blueprint's own template global (the cart's cart_count)
    # then replaces a placeholder of the same name instead of being replaced by it.
    register_template_helpers(app)
    register_blueprints(app)
    register_errorhandlers(app)
    from storefront.web import guards, headers, policy, reads, sessions

    sessions.init_app(app)  # no serializer built for a request without a session cookie
    guards.init_app(app)
    reads.init_app(app)  # the primary for writes and right after them (read replica only)
    policy.init_app(app)  # every route's declared access (web/policy.py), or no start
    headers.init_app(app)  # security headers on every response, the CSP nonce for templates
    register_commands(app)
    return app


def _tune_sqlite(app: Flask) -> None:
    """SQLite: concurrent writers wait up to 30 s for the lock instead of failing at once.

    A file on the same machine cannot drop a connection the way a database server can, so
    the pool does not ping it before each request (a round trip on every page otherwise).
    """
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options["pool_pre_ping"] = False
    options["connect_args"] = {"timeout": 30, **options.get("connect_args", {})}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _ping_after_idle(app: Flask) -> bool:
    """A database server (not SQLite, see above) with DATABASE_PING_IDLE_SECONDS set: its
    connections are pinged only after sitting idle that long (core/pool.py), in place of
    pool_pre_ping's round trip at every checkout."""
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if not options.get("pool_pre_ping") or not app.config.get("DATABASE_PING_IDLE_SECONDS"):
        return False
    options["pool_pre_ping"] = False
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    return True


def register_extensions(app: Flask) -> None:
    from flask_babel import gettext

    from storefront import search
    from storefront.core import replica, shared_cache, urls
    from storefront.domain.accounts import user_for_session
    from storefront.domain.catalog import cards, changes, version
    from storefront.domain.jobs import queue as jobs_queue
    from storefront.extensions import babel, csrf, db, limiter, login_manager, migrate
    from storefront.models import User
    from storefront.web import http_cache, i18n

    # First: its after_request hook then runs last, after every hook that may set a cookie.
    http_cache.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    replica.init_app(app)  # a read replica's engine (DATABASE_REPLICA_URL), before search
    search.init_app(app)
    # What a catalog change sets off (storefront/domain/catalog/changes.py): the version moves
    # on, then the index hears of it; the version includes this machine's index generation.
    changes.install()
    # Jobs after a commit (storefront/domain/jobs): inline, or the Redis queue.
    jobs_queue.init_app(app)
    changes.subscribe_before_commit(search.catalog_changing)
    changes.subscribe(search.catalog_changed)
    version.use_local_generation(search.index_generation, search.generation_in_database)
    shared_cache.init_app(app, BASE_DIR)  # Redis behind the in-process caches (REDIS_URL)
    cards.init_app(app)  # the cards cached under the catalog version

    _init_limiter(app, limiter)

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    # Flask-Login's own message is English; N_ marks it for extraction, gettext translates it.
    login_manager.login_message = N_("Please log in to open this page.")
    login_manager.localize_callback = gettext

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        # The id carries the password's fingerprint: see accounts.services.user_for_session.
        return user_for_session(session_id)

    # Last, so that its check of the request's host runs before every other extension's hook.
    urls.init_app(app)


def _init_limiter(app: Flask, limiter) -> None:
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind a load balancer every request comes from the proxy's address; per-IP
        # limits need the client's, read from X-Forwarded-For as set by trusted hops only.
        hops = app.config["TRUSTED_PROXIES"]
        # Flask's documented way to wrap the WSGI app in middleware.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    limiter.init_app(app)
    _skip_limiter_for_unlimited_views(app, limiter)
    storage = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if limiter.enabled and storage.startswith("memory://") and not (app.debug or app.testing):
        app.logger.warning(
            "Rate limits are counted in process memory, so each worker counts on its own; "
            "set RATELIMIT_STORAGE_URI (e.g. redis://...) when running several workers."
        )


def _skip_limiter_for_unlimited_views(app: Flask, limiter) -> None:
    """Flask-Limiter's hook, not even entered for a view that carries no limit.

    Its request filter (extensions.view_has_no_limit) already exempts such views, but the
    hook still resolves and evaluates an empty set of limits first: about 40 µs of a cached
    catalog page that should cost no more than a bare one (README, Performance). The shop
    sets no default, application or meta limits (see that filter), so there is nothing
    else to check; a request that matched no route goes to Flask-Limiter as before.
    """
    from flask import request

    from storefront.extensions import view_has_no_limit

    hooks = app.before_request_funcs.get(None, [])
    check = limiter._check_request_limit
    if check not in hooks:
        return

    def check_request_limit() -> None:
        if request.endpoint is not None and view_has_no_limit():
            return None
        return check()

    hooks[hooks.index(check)] = check_request_limit


def register_blueprints(app: Flask) -> None:
    from storefront.web.account import bp as accounts_bp
    from storefront.web.main import bp as main_bp
    from storefront.web.pfa import bp as pfa_bp
    from storefront.web.reviews import bp as reviews_bp
    from storefront.web.seller import bp as seller_bp
    from storefront.web.shop.cart import bp as cart_bp
    from storefront.web.shop.catalog import bp as catalog_bp
    from storefront.web.shop.checkout import bp as checkout_bp
    from storefront.web.shop.orders import bp as orders_bp
    from storefront.web.shop.verify import bp as verify_bp
    from storefront.web.webhooks import bp as payments_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(cart_bp, url_prefix="/cart")
    app.register_blueprint(checkout_bp, url_prefix="/checkout")
    app.register_blueprint(orders_bp, url_prefix="/orders")
    app.register_blueprint(payments_bp, url_prefix="/webhooks")
    app.register_blueprint(accounts_bp, url_prefix="/account")
    app.register_blueprint(seller_bp, url_prefix="/seller")
    app.register_blueprint(pfa_bp, url_prefix="/pfa")
    app.register_blueprint(verify_bp, url_prefix="/verify")
    app.register_blueprint(reviews_bp, url_prefix="/reviews")


def register_errorhandlers(app: Flask) -> None:
    from flask import Response, jsonify, render_template, request
    from flask_babel import gettext as _
    from flask_wtf.csrf import CSRFError
    from werkzeug.exceptions import HTTPException, SecurityError

    from storefront.core.errors import DomainError

    def wants_json() -> bool:
        return request.accept_mimetypes.best == "application/json" or request.path.startswith(
            "/api/"
        )

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        if wants_json():
            return jsonify(error=error.code, message=error.message), error.status
        return (
            render_template("errors/error.html", status=error.status, message=error.message),
            error.status,
        )

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError):
        message = _("Your session expired or the form was sent twice. Please try again.")
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(SecurityError)
    def handle_untrusted_host(error: SecurityError):
        # A host not in TRUSTED_HOSTS: the request has no URL adapter, so the error page (its
        # links, url_for) cannot be built. A short answer that needs nothing of the request.
        return Response(_("This site is not served at this address."), 400, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if wants_json():
            return jsonify(error=error.name, message=error.description), error.code
        return (
            render_template("errors/error.html", status=error.code, message=None),
            error.code,
        )


def register_template_helpers(app: Flask) -> None:
    from storefront.core import formatting, media, urls
    from storefront.domain import status_labels
    from storefront.web import catalog_cache, chrome

    chrome.init_app(app)  # the page chrome, rendered once per language and visitor state
    catalog_cache.init_app(app)  # rendered cards, fragments and pages, per catalog version
    formatting.init_app(app)
    media.init_app(app)
    app.add_template_global(urls.external_url, "external_url")  # canonical links, sitemap
    for name, label in status_labels.TEMPLATE_GLOBALS.items():
        app.add_template_global(label, name)


def register_commands(app: Flask) -> None:
    from storefront.cli import register

    register(app)
