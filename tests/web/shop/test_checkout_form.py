"""The checkout form as Vietnamese buyers fill it on a phone: phone first and required, e-mail
optional for guests, autofill tokens and keyboards on every field, an error summary that
links to each refused field (and changes nothing), and a customer's order in two taps."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from storefront.domain.orders.fulfilment import advance_shipment
from storefront.extensions import db as _db
from storefront.models import Address, CartLine, Order, Package, PaymentMethod
from tests.fixtures import factories
from tests.fixtures.shop import buy, checkout_form, other_province_commune, reload
from tests.web.test_hostile_forms import Forms

pytestmark = pytest.mark.usefixtures("english")


class Page(HTMLParser):
    """Every element with an id (tag and attributes), the ids in document order, and the
    error summary's links."""

    def __init__(self, text: str):
        super().__init__()
        self.by_id: dict[str, tuple[str, dict[str, str]]] = {}
        self.order: list[str] = []
        self.summary: dict[str, str] | None = None
        self.summary_links: list[str] = []
        self.in_form: set[str] = set()  # the ids inside the checkout form
        self._in_summary = 0
        self._in_form = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form" and a.get("action") == "/checkout/":
            self._in_form = True
        if "id" in a:
            self.by_id[a["id"]] = (tag, a)
            self.order.append(a["id"])
            if self._in_form:
                self.in_form.add(a["id"])
        if "data-error-summary" in a:
            self.summary, self._in_summary = a, 1
        elif self._in_summary and tag == "div":
            self._in_summary += 1
        if self._in_summary and tag == "a":
            self.summary_links.append(a.get("href", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        if self._in_summary and tag == "div":
            self._in_summary -= 1

    def attrs(self, element_id: str) -> dict[str, str]:
        return self.by_id[element_id][1]


def order_count() -> int:
    return _db.session.scalar(select(func.count()).select_from(Order))


def stock_of(package_id: int) -> int:
    return _db.session.scalar(select(Package.stock).where(Package.id == package_id))


def cart_lines() -> int:
    return _db.session.scalar(select(func.count()).select_from(CartLine))


def browser_post(client, page_html: str) -> MultiDict:
    """What the browser posts when the buyer presses "Đặt hàng" without touching anything."""
    forms = Forms()
    forms.feed(page_html)
    [(action, fields)] = [form for form in forms.forms if form[0] == "/checkout/"]
    return MultiDict(fields + [("submit", "Place order")])


# --- a guest without an e-mail -------------------------------------------------------------


def test_a_guest_orders_without_an_email_gets_no_mail_and_sees_the_order(client, db, make, outbox):
    coop_owner = make.user(email="htx@example.vn")
    coop = make.cooperative(owner=coop_owner)
    package = make.listing(coop=coop, packages=[{"stock": 5}]).packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 2})

    response = client.post("/checkout/", data=checkout_form(email=""))
    assert response.status_code == 303
    order = _db.session.scalar(select(Order))
    assert order.email == "" and order.phone == "0912345678"
    assert stock_of(package.id) == 3
    # The cooperative hears of the order; nobody writes to an empty address.
    assert [m["To"] for m in outbox.messages] == [coop_owner.email]

    # The order page opens in the same browser, right after and later.
    placed = client.get(response.headers["Location"])
    assert placed.status_code == 200 and order.number in placed.get_data(as_text=True)
    assert client.get(f"/orders/{order.number}").status_code == 200
    # Another browser finds it only by its number with the phone, never by the number alone.
    other = client.application.test_client()
    for phone in ("", "0900000000"):
        lookup = other.post("/orders/lookup", data={"number": order.number, "phone": phone})
        assert lookup.status_code == 404
    assert other.get(f"/orders/{order.number}").status_code == 404
    lookup = other.post("/orders/lookup", data={"number": order.number, "phone": "0912 345 678"})
    assert lookup.status_code == 303
    assert other.get(f"/orders/{order.number}").status_code == 200


def test_news_of_an_order_without_an_email_is_sent_to_nobody(app, db, make, outbox):
    owner = make.user(email="htx@example.vn")
    coop = make.cooperative(owner=owner)
    package = make.listing(coop=coop, packages=[{"stock": 5}]).packages[0]
    order = buy((package, 1), email="")
    [shipment] = reload(db, order.number).shipments
    for step in ("pack", "ship"):
        advance_shipment(
            shipment.id, step, user_id=owner.id, carrier="VNPost", tracking_number="EMS1VN"
        )
    assert reload(db, order.number).shipments[0].status.value == "shipped"
    assert all(m["To"] == owner.email for m in outbox.messages)


def test_a_card_order_without_an_email_lets_stripe_ask_for_one(app, db, make, stripe_fake):
    from storefront.domain.payments.card import start_card_payment

    package = make.listing(packages=[{"stock": 5}]).packages[0]
    order = buy((package, 1), email="", payment_method=PaymentMethod.CARD)
    start_card_payment(order.number, success_url="http://x/ok", cancel_url="http://x/no")
    [created] = stripe_fake.calls("POST", "/v1/checkout/sessions")
    assert "customer_email" not in created.params
    with_mail = buy((package, 1), payment_method=PaymentMethod.CARD)
    start_card_payment(with_mail.number, success_url="http://x/ok", cancel_url="http://x/no")
    assert stripe_fake.calls("POST", "/v1/checkout/sessions")[1].params["customer_email"] == (
        "lan@example.vn"
    )


def test_an_email_given_must_be_valid(client, db, make):
    package = make.listing().packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})
    response = client.post("/checkout/", data=checkout_form(email="lan@"))
    assert response.status_code == 400
    assert Page(response.get_data(as_text=True)).attrs("email").get("aria-invalid") == "true"
    assert order_count() == 0


# --- the fields ----------------------------------------------------------------------------


def test_every_field_has_its_autofill_token_and_keyboard_and_the_phone_comes_first(client, make):
    package = make.listing().packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})
    page = Page(client.get("/checkout/").get_data(as_text=True))

    expected = {
        "phone": ("input", "shipping tel"),
        "recipient": ("input", "shipping name"),
        "province": ("select", "shipping address-level1"),
        "commune": ("select", "shipping address-level2"),
        "street": ("input", "shipping address-line1"),
        "email": ("input", "shipping email"),
    }
    for field_id, (tag, token) in expected.items():
        assert page.by_id[field_id][0] == tag, field_id
        assert page.attrs(field_id)["autocomplete"] == token, field_id
    phone, email = page.attrs("phone"), page.attrs("email")
    assert (phone["type"], phone["inputmode"]) == ("tel", "tel")
    assert (email["type"], email["inputmode"]) == ("email", "email")
    # Phone first and required; the e-mail last and optional.
    fields = [i for i in page.order if i in expected]
    assert fields[0] == "phone" and fields[-1] == "email"
    assert all("required" in page.attrs(i) for i in expected if i != "email")
    assert "required" not in email
    # Every field the buyer types into has a token (nothing left to the browser's guess).
    typed = [
        i
        for i, (tag, a) in page.by_id.items()
        if i in page.in_form
        and tag in ("input", "select", "textarea")
        and a.get("type", "text") not in ("hidden", "radio", "checkbox", "submit")
    ]
    assert sorted(typed) == sorted(expected)
    # The combobox script enhances the two selects; the selects stay for the form.
    assert "data-combobox" in page.attrs("province") and "data-combobox" in page.attrs("commune")


def test_a_customer_is_asked_no_email_and_orders_with_their_account_one(client, auth, db, make):
    user = make.user(email="khach@example.vn")
    auth.login(user)
    package = make.listing().packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})
    page = client.get("/checkout/").get_data(as_text=True)
    assert 'name="email"' not in page and "khach@example.vn" in page
    response = client.post("/checkout/", data=checkout_form(email="someone-else@example.vn"))
    assert response.status_code == 303
    assert _db.session.scalar(select(Order.email)) == "khach@example.vn"


# --- errors ----------------------------------------------------------------------------------


def test_the_error_summary_links_to_every_refused_field_and_nothing_changes(client, db, make):
    package = make.listing(packages=[{"stock": 7}]).packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 2})
    commune = factories.commune()
    typed = checkout_form(
        phone="0123",  # too short
        recipient="",
        commune="",
        street="12 Trần Phú",
        email="lan@",
    )
    response = client.post("/checkout/", data=typed)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    page = Page(text)

    assert page.summary is not None
    assert page.summary["role"] == "alert" and page.summary["tabindex"] == "-1"
    # One link per refused field, in the page's order, each to a field marked invalid and
    # described by its own message.
    assert page.summary_links == ["#phone", "#recipient", "#commune", "#email"]
    invalid = [i for i, (_tag, a) in page.by_id.items() if a.get("aria-invalid") == "true"]
    assert sorted(invalid) == sorted(link[1:] for link in page.summary_links)
    for link in page.summary_links:
        field_id = link[1:]
        described = page.attrs(field_id)["aria-describedby"].split()
        assert f"{field_id}-errors" in described and f"{field_id}-errors" in page.by_id

    # Nothing was ordered, no stock taken, the cart kept.
    assert order_count() == 0 and stock_of(package.id) == 7 and cart_lines() == 1
    # Nothing the buyer typed is lost: the texts, the province chosen (its communes listed).
    assert page.attrs("phone")["value"] == "0123"
    assert page.attrs("street")["value"] == "12 Trần Phú"
    assert page.attrs("email")["value"] == "lan@"
    assert f'<option selected value="{commune.province.code}">' in text
    assert f'value="{commune.code}"' in text


def test_a_refused_payment_method_is_linked_to_its_first_choice(client, db, make):
    package = make.listing().packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})
    response = client.post("/checkout/", data=checkout_form(payment_method="card"))
    assert response.status_code == 400
    page = Page(response.get_data(as_text=True))
    assert page.summary_links == ["#payment_method-0"]
    assert "payment_method-0" in page.by_id
    assert order_count() == 0


# --- two taps --------------------------------------------------------------------------------


def test_a_customer_with_a_saved_address_orders_in_two_taps_from_the_cart(client, auth, db, make):
    user = make.user(email="khach@example.vn")
    home = other_province_commune()
    office = factories.commune()
    for street, commune, default in (("1 Lê Lợi", office, False), ("5 Lê Lợi", home, True)):
        db.session.add(
            Address(
                user=user,
                recipient="Trần Văn Nam",
                phone="0987654321",
                street=street,
                commune=commune,
                is_default=default,
            )
        )
    db.session.commit()
    auth.login(user)
    package = make.listing(packages=[{"stock": 4}]).packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})

    cart = client.get("/cart/").get_data(as_text=True)
    forms = Forms()
    forms.feed(cart)
    [(_action, cart_fields)] = [form for form in forms.forms if form[0] == "/cart/save"]
    # Tap 1: the cart's checkout button saves the quantities and opens the checkout.
    saved = client.post("/cart/save", data=MultiDict(cart_fields + [("checkout", "1")]))
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/checkout/")
    page = client.get("/checkout/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    fields = browser_post(client, html)
    default = _db.session.scalar(select(Address).where(Address.is_default.is_(True)))
    assert fields["address_id"] == str(default.id) and fields["payment_method"] == "cod"
    assert "5 Lê Lợi" in html and "data-address-current" in html

    response = client.post("/checkout/", data=browser_post(client, html))  # tap 2: Đặt hàng
    assert response.status_code == 303
    order = _db.session.scalar(select(Order))
    assert (order.street, order.commune_id, order.phone, order.email, order.user_id) == (
        "5 Lê Lợi",
        home.id,
        "0987654321",
        "khach@example.vn",
        user.id,
    )
    assert order.payment_method is PaymentMethod.COD and stock_of(package.id) == 3
