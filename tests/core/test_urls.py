"""core/urls: absolute URLs from PUBLIC_BASE_URL alone, in a request or a cron job alike."""

from __future__ import annotations

import pytest

from storefront.core.urls import external_url, parse_base_url, trusted_hosts


def test_links_are_built_at_the_configured_address_whatever_the_request_host(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://ocop.example.vn")
    with app.test_request_context("/", headers={"Host": "evil.example"}):
        assert external_url("orders.detail", number="OC-1") == "https://ocop.example.vn/orders/OC-1"
    with app.app_context():  # a cron job: no request at all
        assert external_url("catalog.home") == "https://ocop.example.vn/"


def test_a_port_and_a_path_prefix_are_kept(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "http://Shop.Example.vn:8080/ocop/")
    assert external_url("orders.detail", number="OC 1") == (
        "http://shop.example.vn:8080/ocop/orders/OC%201"
    )
    # Every value is a URL argument: query strings pass through, even url_for's own names.
    assert external_url("catalog.products", endpoint="x", _external="1", group=[1, 2]) == (
        "http://shop.example.vn:8080/ocop/products?endpoint=x&_external=1&group=1&group=2"
    )


@pytest.mark.parametrize(
    "value",
    [
        "",
        "ocop.example.vn",
        "ftp://ocop.example.vn",
        "https://",
        "https://a:b@ocop.example.vn",
        "https://ocop.example.vn/?x=1",
        "https://ocop.example.vn/#top",
        "https://ocop.example.vn:x",
    ],
)
def test_an_address_links_cannot_be_built_from_is_refused(value):
    with pytest.raises(ValueError, match="PUBLIC_BASE_URL"):
        parse_base_url(value)


def test_trusted_hosts_are_the_public_host_and_the_listed_ones(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://ocop.example.vn:8443")
    monkeypatch.setitem(app.config, "ONLY_TRUSTED_HOSTS", False)
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", None)
    assert trusted_hosts(app) is None  # development: any host
    monkeypatch.setitem(app.config, "ONLY_TRUSTED_HOSTS", True)
    assert trusted_hosts(app) == ["ocop.example.vn"]
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", " 10.0.0.7 ,OCOP.example.vn,, .lan")
    assert trusted_hosts(app) == ["ocop.example.vn", "10.0.0.7", ".lan"]


def test_an_international_domain_name_is_written_in_its_ascii_form():
    base = parse_base_url("https://Chợ.vn:8443/")
    assert (base.netloc, base.host, base.prefix) == ("xn--ch-3bt.vn:8443", "xn--ch-3bt.vn", "")
