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


PUBLIC = "https://ocop.example.vn"


@pytest.fixture
def shared_limiter():
    """The limiter is one object: a production app switches it on and gives it its own
    storage; the next tests (in this worker) must find it as it was."""
    saved = dict(vars(limiter))
    try:
        yield
    finally:
        vars(limiter).clear()
        vars(limiter).update(saved)


@pytest.fixture
def production_env(monkeypatch, tmp_path, shared_limiter):
    """Everything production requires, in the environment; the app's folders under tmp_path."""
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/prod.db")
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    # Settings are read from the environment when config.py is imported (before a real
    # server's first request); this process imported it long ago.
    monkeypatch.setattr(config.ProductionConfig, "PUBLIC_BASE_URL", PUBLIC, raising=False)
    return tmp_path


def production_app(tmp_path, **overrides):
    return create_app(
        {
            "CONFIG": "production",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/prod.db",
            "SEARCH_INDEX_DIR": str(tmp_path / "search"),
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
            **overrides,
        }
    )


def test_production_refuses_to_start_without_secret_and_database(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    with pytest.raises(RuntimeError, match="SECRET_KEY, DATABASE_URL"):
        create_app("production")
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        create_app(config.ProductionConfig)


def test_production_refuses_to_start_without_its_public_address(production_env, monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL")
    with pytest.raises(RuntimeError, match="needs these environment variables: PUBLIC_BASE_URL"):
        create_app(config.ProductionConfig)
    # Nor with an address links cannot be built from.
    monkeypatch.setenv("PUBLIC_BASE_URL", "ocop.example.vn")
    with pytest.raises(ValueError, match="PUBLIC_BASE_URL must be"):
        production_app(production_env, PUBLIC_BASE_URL="ocop.example.vn")


def test_production_starts_with_all_three(production_env):
    app = create_app(config.ProductionConfig)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not app.debug
    assert app.config["TRUSTED_HOSTS"] == ["ocop.example.vn"]


def test_production_answers_its_own_host_only(production_env):
    app = production_app(production_env, TRUSTED_HOSTS="10.0.0.7, Internal.LAN")
    client = app.test_client()
    assert client.get("/healthz", base_url=PUBLIC).status_code == 200
    assert client.get("/healthz", base_url="https://ocop.example.vn:8443").status_code == 200
    # Extra names for the load balancer's health check, from TRUSTED_HOSTS.
    assert client.get("/healthz", base_url="http://10.0.0.7").status_code == 200
    assert client.get("/healthz", base_url="http://internal.lan").status_code == 200
    forged = {"Host": "evil.example"}
    for method, path in [
        ("GET", "/healthz"),
        ("GET", "/"),
        ("GET", "/no-such-page"),
        ("POST", "/account/reset"),  # no CSRF token either: the host is refused first
        ("POST", "/account/login"),
    ]:
        response = client.open(path, method=method, base_url=PUBLIC, headers=forged)
        assert response.status_code == 400, (method, path)
        assert response.mimetype == "text/plain"
    for host in ("ocop.example.vn.evil.example", "evil.example:443", "10.0.0.8", "bad host"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 400, host


def test_vnd_is_an_integer_number_of_dong():
    assert format_vnd(150_000, "vi") == "150.000\u00a0₫"
    assert format_vnd(150_000, "en") == "150,000\u00a0₫"
    assert format_vnd(0, "vi") == "0\u00a0₫"
    assert format_vnd(-4_750, "vi") == "\u22124.750\u00a0₫"  # the minus sign, not a hyphen
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
