"""The layout and the home page: language, product cards, account menu, errors, query count."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import render_template_string

from storefront.core.formatting import lang_switch_url
from storefront.models import ListingStatus, Role
from tests.fixtures.app import count_queries

NBSP = "\u00a0"
TRANSLATIONS = Path(__file__).resolve().parents[3] / "storefront" / "translations"


def html(response) -> str:
    return response.get_data(as_text=True)


# --- language -------------------------------------------------------------------------------


def test_home_page_is_vietnamese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    page = html(response)
    assert '<html lang="vi">' in page
    assert "Chương trình Mỗi xã một sản phẩm (OCOP)" in page
    assert "Giỏ hàng" in page
    assert "Đăng nhập" in page
    assert "Tìm kiếm sản phẩm OCOP" in page


def test_lang_en_switches_to_english_and_sticks(client):
    page = html(client.get("/?lang=en"))
    assert '<html lang="en">' in page
    assert "One Commune One Product programme (OCOP)" in page
    assert "Giỏ hàng" not in page

    page = html(client.get("/"))  # no parameter: the choice is remembered
    assert '<html lang="en">' in page
    assert ">Cart<" in page

    page = html(client.get("/?lang=vi"))
    assert '<html lang="vi">' in page


def test_language_switch_keeps_the_page_and_its_query(app):
    with app.test_request_context("/products?group=1&group=2&lang=vi"):
        url = lang_switch_url("en")
    assert url.startswith("/products?")
    assert "group=1" in url and "group=2" in url and "lang=en" in url and "lang=vi" not in url

    with app.test_request_context("/products/vai-thieu?ref=home"):
        assert lang_switch_url("en") == "/products/vai-thieu?ref=home&lang=en"

    # A query argument that clashes with url_for's own parameters still gives a link.
    with app.test_request_context("/?endpoint=x&_external=1"):
        assert lang_switch_url("en") == "?endpoint=x&lang=en"

    # No endpoint (a 404): a query-only link that stays on the same path.
    with app.test_request_context("/no-such-page?x=1"):
        assert lang_switch_url("en") == "?x=1&lang=en"


def test_catalogs_are_compiled_when_the_app_starts_without_them(tmp_path):
    """A fresh clone started with `flask run` (not `make run`) has no .mo files: the app
    compiles them at start, so the shop is Vietnamese however it was started."""
    import os
    import shutil

    from babel.support import Translations

    from storefront.web.i18n import compile_catalogs

    po = tmp_path / "vi" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    shutil.copy(TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po", po)
    assert compile_catalogs(tmp_path) == [po.with_suffix(".mo")]
    vietnamese = Translations.load(str(tmp_path), ["vi"])
    assert vietnamese.gettext("Cart") == "Giỏ hàng"
    assert compile_catalogs(tmp_path) == []  # up to date: left alone
    newer = po.stat().st_mtime + 10
    os.utime(po, (newer, newer))
    assert compile_catalogs(tmp_path) == [po.with_suffix(".mo")]


def test_vietnamese_catalog_is_complete():
    """Every string the code and templates mark for translation has a Vietnamese msgstr."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    root = TRANSLATIONS.parent.parent
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    used = set()
    for folder, pattern, method in (  # as babel.cfg
        ("storefront", "**.py", "python"),
        ("templates", "**.html", "jinja2"),
        ("templates", "**.txt", "jinja2"),
    ):
        for _file, _line, message, _comments, _context in extract_from_dir(
            root / folder, method_map=[(pattern, method)], keywords=keywords
        ):
            used.add(message if isinstance(message, str) else message[0])
    assert "Cart" in used and "Food" in used  # both extractors ran

    with open(TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale="vi")
    translated, fuzzy = set(), []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings):
            translated.add(msgid)
        if message.fuzzy:
            fuzzy.append(msgid)
    assert fuzzy == []
    missing = sorted(used - translated)
    assert missing == [], "run `make extract-messages`, then translate these in vi/messages.po"

    # The template the catalogs are updated from holds what the code uses, no more, no less.
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert sorted(template ^ used) == [], "run `make extract-messages`"


# --- product cards on the home page ---------------------------------------------------------


def test_public_listing_shows_as_a_card(client, make):
    make.listing(name="Vải thiều Lục Ngạn", packages=[{"price": 150_000, "stock": 5}])

    page = html(client.get("/"))
    assert "Vải thiều Lục Ngạn" in page
    assert f"150.000{NBSP}₫" in page
    assert "4 sao OCOP" in page
    assert '<span class="ocop-stars__on">★★★★</span>' in page
    assert "Xã Lục Ngạn, Bắc Ninh" in page  # origin commune and its province
    assert "HTX Thử nghiệm" in page  # cooperative
    assert 'href="/products/san-pham-thu-' in page
    assert "card__placeholder" in page  # no photo yet
    assert "1 sản phẩm OCOP được chứng nhận đang bày bán" in page

    page = html(client.get("/?lang=en"))
    assert f"150,000{NBSP}₫" in page
    assert "4-star OCOP" in page
    assert "1 certified OCOP product on sale" in page


def test_card_says_from_when_packages_differ_in_price(client, make):
    make.listing(
        packages=[
            {"label": "Hộp 2 kg", "price": 280_000, "stock": 3},
            {"label": "Hộp 1 kg", "price": 150_000, "stock": 3},
        ]
    )
    page = html(client.get("/"))
    assert f"từ 150.000{NBSP}₫" in page
    assert "280.000" not in page


def test_card_marks_pre_order_and_sold_out(app, make):
    preorder = make.listing(packages=[{"stock": 0, "preorder": True}])
    sold_out = make.listing(packages=[{"stock": 0}])
    in_stock = make.listing(packages=[{"stock": 4}])
    template = '{% from "catalog/_card.html" import card %}{{ card(listing) }}'
    with app.test_request_context("/"):
        assert "Đặt trước" in render_template_string(template, listing=preorder)
        sold_out_card = render_template_string(template, listing=sold_out)
        assert "Hết hàng" in sold_out_card and "card--sold-out" in sold_out_card
        plain = render_template_string(template, listing=in_stock)
        assert "card__badge" not in plain


def test_card_shows_the_cover_photo(app, make, db):
    from storefront.models import ListingImage

    listing = make.listing(name="Gà đồi Yên Thế")
    listing.images.append(ListingImage(filename="abc123", position=0))
    db.session.commit()
    template = '{% from "catalog/_card.html" import card %}{{ card(listing) }}'
    with app.test_request_context("/"):
        card = render_template_string(template, listing=listing)
    img = re.search(r"<img [^>]*>", card).group(0)
    assert 'src="/media/listings/abc123-card.webp"' in img
    assert 'width="480"' in img and 'height="360"' in img
    assert 'loading="lazy"' in img and 'alt="Gà đồi Yên Thế"' in img


def test_listing_that_is_not_public_is_not_on_the_home_page(client, make):
    make.listing(name="Mì Chũ tạm dừng", status=ListingStatus.PAUSED)
    page = html(client.get("/"))
    assert "Mì Chũ tạm dừng" not in page
    assert "Chưa có sản phẩm nào được bày bán" in page  # the empty state
    assert "0 sản phẩm OCOP được chứng nhận đang bày bán" in page


def test_home_page_links_the_six_ocop_groups(client):
    page = html(client.get("/"))
    for group in range(1, 7):
        assert f'href="/products?group={group}"' in page
    assert "Thủ công mỹ nghệ" in page
    assert "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch" in page
    assert "Community and eco-tourism services" in html(client.get("/?lang=en"))


def test_home_page_runs_a_fixed_number_of_queries(client, db, make):
    def queries_for_home() -> int:
        client.get("/")  # warm-up: anything cached per process is built here
        with count_queries(db.engine) as statements:
            assert client.get("/").status_code == 200
        return len(statements)

    for _ in range(3):
        make.listing()
    with_three = queries_for_home()
    for _ in range(9):
        make.listing()
    with_twelve = queries_for_home()
    assert "card__title" in html(client.get("/"))
    assert with_three == with_twelve
    assert with_twelve <= 8


# --- layout ---------------------------------------------------------------------------------


def test_layout_has_skip_link_search_and_navigation(client):
    page = html(client.get("/"))
    assert '<a class="skip-link" href="#main">' in page
    assert '<main id="main"' in page
    search = re.search(
        r'<form class="site-search" role="search" action="/search" method="get"'
        r' aria-label="Tìm kiếm sản phẩm OCOP"[^>]*>(.*?)</form>',
        page,
        re.S,
    )
    assert search is not None
    assert 'name="q"' in search.group(1)
    assert '<label class="visually-hidden" for="site-search-q">' in search.group(1)
    assert 'href="/products"' in page and 'href="/origins"' in page and 'href="/cart/"' in page
    assert 'rel="icon" href="/static/img/favicon.svg"' in page


def test_logged_out_visitor_sees_a_log_in_link(client):
    page = html(client.get("/"))
    assert 'href="/account/login"' in page
    assert "/account/logout" not in page


def test_logout_is_a_post_form_with_a_csrf_token(client, make, auth):
    user = make.user(email="buyer@example.vn")
    auth.login(user)
    page = html(client.get("/"))
    assert "buyer@example.vn" in page
    assert 'href="/seller/"' in page
    assert 'href="/pfa/"' not in page  # not PFA staff
    form = re.search(r'<form[^>]*action="/account/logout"[^>]*>(.*?)</form>', page, re.S)
    assert form is not None
    assert 'method="post"' in form.group(0)
    assert 'name="csrf_token"' in form.group(1)
    assert "Đăng xuất" in form.group(1)
    assert not re.search(r'<a [^>]*href="/account/logout"', page)

    response = client.post("/account/logout", follow_redirects=True)
    assert "Bạn đã đăng xuất." in html(response)


def test_pfa_staff_see_the_console_link(client, make, auth):
    auth.login(make.user(role=Role.PFA))
    assert 'href="/pfa/"' in html(client.get("/"))


# --- error pages ----------------------------------------------------------------------------


def test_404_page_is_friendly(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = html(response)
    assert "Không tìm thấy trang" in page
    assert 'href="/"' in page
    assert 'href="?lang=en"' in page  # the language switch works without an endpoint

    page = html(client.get("/no-such-page?lang=en"))
    assert "Page not found" in page


def test_error_page_search_is_a_landmark_of_its_own(client):
    # The header has a search landmark too: two unnamed ones cannot be told apart (axe
    # landmark-unique), so the page's own search form is named.
    page = html(client.get("/no-such-page"))
    assert page.count('role="search"') == 2
    names = re.findall(r'role="search"[^>]*aria-label="([^"]+)"', page)
    assert len(set(names)) == 2  # told apart (both were "Tìm kiếm sản phẩm OCOP" until now)
    assert 'role="search" aria-label="Tìm sản phẩm khác"' in page


@pytest.mark.parametrize(
    "status, heading",
    [(403, "Bạn không có quyền truy cập trang này"), (409, "Chưa thể thực hiện yêu cầu này")],
)
def test_error_page_heading_follows_the_status(app, status, heading):
    with app.test_request_context("/"):
        page = render_template_string(
            '{% include "errors/error.html" %}', status=status, message=None
        )
    assert heading in page


def test_login_page_labels_fields_and_shows_errors(client):
    page = html(client.get("/account/login"))
    assert '<label class="field__label" for="email">E-mail</label>' in page
    assert 'for="password">Mật khẩu</label>' in page

    page = html(client.post("/account/login", data={"email": "", "password": ""}))
    assert "Vui lòng điền mục này." in page
    assert 'aria-invalid="true"' in page
