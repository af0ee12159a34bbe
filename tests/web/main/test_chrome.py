"""The page chrome: the account menu per role, the order and certificate look-ups, named
language links, and the origins tree without links inside its summaries."""

from __future__ import annotations

import re

from storefront.models import Role


def html(response) -> str:
    return response.get_data(as_text=True)


def account_menu(page: str) -> str:
    menu = re.search(r'<details class="account-menu">(.*?)</details>', page, re.S)
    assert menu is not None, "no account menu"
    return menu.group(1)


def main_menu(page: str) -> str:
    nav = re.search(r'<nav aria-label="Menu chính">(.*?)</nav>', page, re.S)
    assert nav is not None
    return nav.group(1)


def footer(page: str) -> str:
    return page[page.index('<footer class="site-footer">') :]


# --- account menu per role --------------------------------------------------------------------


def test_anonymous_visitors_get_a_log_in_link_and_no_account_menu(client):
    page = html(client.get("/"))
    assert re.search(r'<a class="header-link" href="/account/login"', page)
    assert 'class="account-menu"' not in page
    assert "Đơn hàng của tôi" not in page


def test_a_customer_finds_orders_addresses_and_profile(client, make, auth):
    auth.login(make.user(email="lan@example.vn"))
    menu = account_menu(html(client.get("/products")))
    assert '<a href="/orders/">Đơn hàng của tôi</a>' in menu
    assert '<a href="/account/#addresses">Sổ địa chỉ</a>' in menu
    assert '<a href="/account/">Tài khoản</a>' in menu
    assert 'href="/seller/"' not in menu  # not a member of any cooperative
    assert 'href="/pfa/"' not in menu
    assert 'action="/account/logout"' in menu and 'name="csrf_token"' in menu
    # The addresses the menu points at are on the account page, under that id.
    assert 'id="addresses"' in html(client.get("/account/"))


def test_a_cooperative_member_also_finds_the_seller_workspace(client, make, auth):
    owner = make.user()
    make.cooperative(owner=owner)
    auth.login(owner)
    menu = account_menu(html(client.get("/")))
    assert '<a href="/seller/">Trang quản lý của hợp tác xã</a>' in menu
    assert 'href="/orders/"' in menu and 'href="/account/"' in menu
    assert 'href="/pfa/"' not in menu


def test_farmers_association_staff_find_their_console(client, make, auth):
    auth.login(make.user(role=Role.PFA))
    menu = account_menu(html(client.get("/")))
    assert 'href="/pfa/"' in menu
    assert 'href="/seller/"' not in menu
    assert 'href="/orders/"' in menu


def test_the_current_account_page_is_marked_in_the_menu(client, make, auth):
    auth.login(make.user())
    menu = account_menu(html(client.get("/orders/")))
    assert '<a href="/orders/" aria-current="page">' in menu


def test_the_membership_lookup_is_one_query_and_none_for_staff(client, make, auth, queries):
    member = make.user()
    make.cooperative(owner=member)
    make.cooperative(owner=member)
    auth.login(member)
    client.get("/")
    with queries() as statements:
        client.get("/")
    assert len([s for s in statements if "cooperative_members" in s]) == 1
    auth.logout()
    auth.login(make.user(role=Role.PFA))
    client.get("/")
    with queries() as statements:
        client.get("/")
    assert not [s for s in statements if "cooperative_members" in s]


# --- look-ups: orders and certificates ----------------------------------------------------------


def test_order_lookup_and_certificate_check_are_in_the_menu_and_the_footer(client):
    for lang, verify, lookup, short_verify, short_lookup in (
        ("vi", "Tra cứu chứng nhận OCOP", "Tra cứu đơn hàng", "Tra chứng nhận", "Tra đơn hàng"),
        (
            "en",
            "Verify OCOP certificates",
            "Find your order",
            "Verify certificates",
            "Find an order",
        ),
    ):
        page = html(client.get(f"/?lang={lang}"))
        nav = re.search(r'<nav aria-label="[^"]+">(.*?)</nav>', page, re.S).group(1)
        # In the menu each has a shorter label for a phone (CSS shows one of the two).
        assert (
            f'<a href="/verify/"><span class="site-nav__long">{verify}</span>'
            f'<span class="site-nav__short">{short_verify}</span></a>'
        ) in nav
        assert (
            f'<a href="/orders/lookup"><span class="site-nav__long">{lookup}</span>'
            f'<span class="site-nav__short">{short_lookup}</span></a>'
        ) in nav
        assert f'<a href="/verify/">{verify}</a>' in footer(page)
        assert f'<a href="/orders/lookup">{lookup}</a>' in footer(page)


def test_the_cached_menu_marks_the_certificate_pages_as_current(client, make):
    page = html(client.get("/verify/"))
    assert '<a href="/verify/" aria-current="page">' in main_menu(page)
    assert 'aria-current="page"' not in footer(page)
    assert 'href="/verify/" aria-current' not in main_menu(html(client.get("/products")))
    lookup = main_menu(html(client.get("/orders/lookup")))
    assert '<a href="/orders/lookup" aria-current="page">' in lookup
    assert 'href="/verify/" aria-current' not in lookup


# --- accessibility ----------------------------------------------------------------------------


def test_language_links_are_named_by_the_language_not_its_code(client):
    page = html(client.get("/products"))
    switch = re.search(
        r'<nav class="lang-nav" aria-label="Ngôn ngữ">\s*<ul class="lang-switch">(.*?)</ul>',
        page,
        re.S,
    )
    assert switch is not None
    links = re.findall(r"<a ([^>]*)>(.*?)</a>", switch.group(1), re.S)
    assert len(links) == 2
    for (attributes, inner), (code, name) in zip(
        links, (("vi", "Tiếng Việt"), ("en", "English")), strict=True
    ):
        assert f'lang="{code}"' in attributes and f'hreflang="{code}"' in attributes
        # The full name is the link's text (kept for screen readers on a phone); the short
        # code shown beside it there is hidden from them.
        assert f'<span class="lang-switch__long">{name}</span>' in inner
        assert f'<span class="lang-switch__short" aria-hidden="true">{code.upper()}</span>' in inner
        assert "aria-hidden" not in attributes and "aria-label" not in attributes


def test_origins_summaries_hold_no_links(client, shop):
    page = html(client.get("/origins"))
    summaries = re.findall(r"<summary>(.*?)</summary>", page, re.S)
    assert summaries
    for summary in summaries:
        assert "<a " not in summary and "<button" not in summary
    # Each province still leads to its products, first in its list.
    assert re.search(
        r'<li class="origin-tree__all"><a href="/products\?province=\d+">'
        r"Tất cả sản phẩm của Thành phố Bắc Ninh</a></li>",
        page,
    )


def test_the_site_search_is_a_named_landmark(client):
    page = html(client.get("/verify/"))  # a page with a search of its own
    assert re.search(
        r'<form class="site-search" role="search"[^>]*'
        r' aria-label="Tìm kiếm sản phẩm OCOP"[^>]*>',
        page,
    )
