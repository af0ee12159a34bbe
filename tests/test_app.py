"""The app factory, configuration, health check and money formatting."""

from __future__ import annotations

import pytest

import config
from storefront import create_app
from storefront.core.formatting import format_vnd
from storefront.extensions import limiter


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path):
    app = create_app(
        {"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/x.db"}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"


def test_production_refuses_to_start_without_secret_and_database(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY, DATABASE_URL"):
        create_app("production")
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        create_app(config.ProductionConfig)


def test_production_starts_with_both(monkeypatch, tmp_path):
    # The limiter is one object: a production app switches it on; the next tests (in this
    # worker) must not find their log-ins rate-limited.
    monkeypatch.setattr(limiter, "enabled", limiter.enabled)
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/prod.db")
    app = create_app(config.ProductionConfig)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not app.debug


def test_vnd_is_an_integer_number_of_dong():
    assert format_vnd(150_000, "vi") == "150.000\u00a0₫"
    assert format_vnd(150_000, "en") == "150,000\u00a0₫"
    assert format_vnd(0, "vi") == "0\u00a0₫"
    with pytest.raises(TypeError):
        format_vnd(150000.0, "vi")  # money is never a float


def test_state_changing_routes_refuse_get(client):
    assert client.get("/account/logout").status_code == 405


def test_csrf_is_required_on_post(app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = app.test_client().post(
            "/account/login", data={"email": "a@b.vn", "password": "x"}
        )
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
