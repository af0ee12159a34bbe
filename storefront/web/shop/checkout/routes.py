"""Checkout: the address and payment form, placing the order, the return from Stripe."""

from __future__ import annotations

import time

from flask import (
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user

from storefront.core.errors import (
    DomainError,
    InvalidInput,
    InvalidPhone,
    NotPublic,
    OutOfStock,
    PaymentProviderError,
)
from storefront.core.formatting import format_vnd
from storefront.core.inputs import parse_int
from storefront.core.phones import normalize_vn_phone
from storefront.core.urls import external_url
from storefront.domain.locations import communes_of, current_commune, describe_unit, provinces
from storefront.domain.orders.lifecycle import order_progress, payment_state
from storefront.domain.orders.placement import (
    CheckoutDetails,
    checkout_quote,
    default_details_for,
    place_order,
    saved_address,
)
from storefront.domain.payments import payos
from storefront.domain.payments.card import order_for_session, start_card_payment
from storefront.domain.payments.payos_gateway import payos_enabled
from storefront.domain.payments.stripe_gateway import card_payments_enabled
from storefront.domain.payments.vietqr import transfer_payments_enabled
from storefront.extensions import limiter
from storefront.models import PaymentMethod, User
from storefront.web.context import cart_owner
from storefront.web.ratelimits import post_limit
from storefront.web.shop.checkout import bp
from storefront.web.shop.checkout.forms import NEW_ADDRESS, CheckoutForm
from storefront.web.shop.orders.routes import grant_order_access, payos_urls

# --- rate limits on placing orders ---------------------------------------------------------------
# Stock hoarding: every POST that tries to place an order counts (not "Show the communes"),
# per client IP and per phone and e-mail as the order would record them, so that spelling a
# number differently ("0912 345 678", "+84912345678") or an address in capitals is the same
# contact. Counted where the log-in limits are (Redis in production), before anything changes.


def _not_an_order_attempt() -> bool:
    return request.method != "POST" or "refresh" in request.form


def _phone_key() -> str:
    raw = request.form.get("phone", "")
    if current_user.is_authenticated:
        # A saved address brings its own phone (the one the order records).
        address_id = parse_int(request.form.get("address_id", ""))
        try:
            raw = saved_address(current_user.id, address_id).phone if address_id else raw
        except DomainError:
            pass
    try:
        phone = normalize_vn_phone(raw)
    except InvalidPhone:
        phone = "".join(ch for ch in raw if ch.isalnum())[:40]
    # No phone at all (the form refuses it anyway): counted per IP, never in one shared bucket.
    return "order-phone:" + phone if phone else "order-no-phone:" + get_remote_address()


def _email_key() -> str:
    raw = current_user.email if current_user.is_authenticated else request.form.get("email", "")
    email = User.normalize_email(raw or "")
    return "order-email:" + email if email else "order-no-email:" + get_remote_address()


def _orders_limited() -> str:
    return _("Too many orders in a short time. Please wait a while, then try again.")


def _order_limit(config_name: str, key_func):
    return post_limit(config_name, key_func, _orders_limited, exempt_when=_not_an_order_attempt)


@bp.errorhandler(RateLimitExceeded)
def too_many_orders(error: RateLimitExceeded):
    response = make_response(
        render_template(
            "checkout/too_many_orders.html",
            message=error.description,
            back_url=url_for("cart.show"),
        ),
        429,
    )
    current = limiter.current_limit
    if current is not None:
        response.headers["Retry-After"] = str(max(1, int(current.reset_at - time.time())))
    return response


def _user():
    return current_user if current_user.is_authenticated else None


def _saved_addresses() -> list:
    """The customer's saved addresses, the default first."""
    user = _user()
    addresses = list(user.addresses) if user else []
    return sorted(addresses, key=lambda a: (not a.is_default, a.id))


def _build_form() -> CheckoutForm:
    user = _user()
    form = CheckoutForm(data=default_details_for(user) if request.method == "GET" else None)
    if user is not None:
        del form.email  # a customer's orders go to their account's e-mail
    form.address_id.choices = [
        (str(a.id), f"{a.recipient}, {a.street}, {a.commune.name}") for a in _saved_addresses()
    ] + [(NEW_ADDRESS, _("Deliver to another address"))]
    if form.address_id.data not in dict(form.address_id.choices):
        form.address_id.data = NEW_ADDRESS
    form.province.choices = [("", _("Choose a province"))] + [
        (str(p.code), p.name) for p in provinces()
    ]
    province = parse_int(form.province.data)
    form.commune.choices = [("", _("Choose a commune"))] + [
        (str(c.code), c.name) for c in communes_of(province or None)
    ]
    methods = [("cod", _("Cash on delivery"))]
    if transfer_payments_enabled():
        methods.append(("transfer", _("Bank transfer (VietQR)")))
    if card_payments_enabled():
        methods.append(("card", _("Card (Stripe)")))
    if payos_enabled():
        methods.append(("payos", _("Pay through payOS (banking app, VietQR)")))
    form.payment_method.choices = methods
    return form


def _destination_commune_id(form: CheckoutForm) -> int | None:
    if form.uses_saved_address and current_user.is_authenticated:
        address_id = parse_int(form.address_id.data)
        try:
            return saved_address(current_user.id, address_id).commune_id if address_id else None
        except DomainError:
            return None
    code = parse_int(form.commune.data)
    unit = current_commune(code) if code else None
    return unit.id if unit is not None else None


def _details(form: CheckoutForm) -> CheckoutDetails:
    method = PaymentMethod(form.payment_method.data)
    locale = str(get_locale() or "vi")
    # Optional for a guest; a customer's is their account's.
    email = current_user.email if current_user.is_authenticated else (form.email.data or "")
    if form.uses_saved_address:
        address = saved_address(current_user.id, int(form.address_id.data))
        return CheckoutDetails(
            email=email,
            phone=address.phone,
            recipient=address.recipient,
            street=address.street,
            commune_id=address.commune_id,
            payment_method=method,
            locale=locale,
        )
    commune_id = _destination_commune_id(form)
    if commune_id is None:
        raise InvalidInput(_("Please choose the commune."), field="commune")
    return CheckoutDetails(
        email=email,
        phone=form.phone.data or "",
        recipient=form.recipient.data or "",
        street=form.street.data or "",
        commune_id=commune_id,
        payment_method=method,
        locale=locale,
    )


def _render(form: CheckoutForm, status: int = 200):
    owner = cart_owner()
    summary = checkout_quote(owner, commune_id=_destination_commune_id(form))
    if summary.is_empty:
        return redirect(url_for("cart.show"))
    if not summary.can_check_out:
        flash(_("Some lines of your cart need your attention before checkout."), "error")
        return redirect(url_for("cart.show"))
    form.expected_subtotal.data = str(summary.subtotal)
    return (
        render_template(
            "checkout/checkout.html",
            form=form,
            summary=summary,
            addresses=[(a, describe_unit(a.commune)) for a in _saved_addresses()],
            card_enabled=card_payments_enabled(),
        ),
        status,
    )


@bp.get("/")
def start():
    return _render(_build_form())


@bp.post("/")
@_order_limit("ORDER_RATE_LIMIT_PER_IP", get_remote_address)
@_order_limit("ORDER_RATE_LIMIT_PER_CONTACT", _phone_key)
@_order_limit("ORDER_RATE_LIMIT_PER_CONTACT", _email_key)
def submit():
    form = _build_form()
    if form.refresh.data or not form.validate_on_submit():
        return _render(form, 200 if form.refresh.data else 400)
    expected = form.expected_subtotal.data or ""
    try:
        order = place_order(
            cart_owner(),
            _details(form),
            expected_subtotal=parse_int(expected),
            card_enabled=card_payments_enabled(),
            transfer_enabled=transfer_payments_enabled(),
            payos_enabled=payos_enabled(),
        )
    except (OutOfStock, NotPublic) as error:
        flash(error.message, "error")
        return redirect(url_for("cart.show"), code=303)
    except DomainError as error:
        field = error.details.get("field")
        if field and field in form:
            form[field].errors = list(form[field].errors) + [error.message]
        else:
            flash(error.message, "error")
        return _render(form, error.status)

    number, method = order.number, order.payment_method
    if not current_user.is_authenticated:
        grant_order_access(number)  # a customer's orders are theirs by account already
    if method in (PaymentMethod.COD, PaymentMethod.TRANSFER):
        # A transfer order's page shows the QR, the account and the code to pay with.
        return redirect(url_for("orders.detail", number=number, placed=1), code=303)
    if method is PaymentMethod.PAYOS:
        return _to_payos(number)
    try:
        url = start_card_payment(
            number,
            success_url=external_url("checkout.stripe_return")
            + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=external_url("orders.detail", number=number),
        )
    except PaymentProviderError as error:
        flash(error.message, "error")
        return redirect(url_for("orders.detail", number=number), code=303)
    return redirect(url, code=303)


def _to_payos(number: str):
    """The new order's payOS link (created after the order's commit): the buyer goes there;
    if payOS cannot be reached, to the order page with a "try again" button."""
    try:
        url = payos.start_payos_payment(number, urls=payos_urls(number), fresh=True)
    except (PaymentProviderError, DomainError) as error:
        flash(error.message, "error")
        return redirect(url_for("orders.detail", number=number), code=303)
    return redirect(url or url_for("orders.detail", number=number), code=303)


@bp.get("/quote")
def quote():
    """Shipping and total for a commune, so the page shows the exact amounts as soon as the
    buyer picks one (the same figures the page shows after "Show the communes")."""
    code = parse_int(request.args.get("commune", ""))
    unit = current_commune(code) if code else None
    summary = checkout_quote(cart_owner(), commune_id=unit.id if unit else None)
    free = _("Free")
    return jsonify(
        shipping={
            str(group.cooperative.id): format_vnd(group.shipping_fee)
            if group.shipping_fee
            else free
            for group in summary.groups
        },
        shipping_total=format_vnd(summary.shipping_total),
        total=format_vnd(summary.total),
        destination_known=summary.destination_known,
    )


@bp.get("/return")
def stripe_return():
    """Back from Stripe: shows the order's real state. It never marks anything paid; only
    the signed webhook does."""
    order = order_for_session(request.args.get("session_id", ""))
    if order is None:
        abort(404)
    viewer_may_open = order.number in session.get("order_access", []) or (
        current_user.is_authenticated and order.user_id == current_user.id
    )
    return render_template(
        "checkout/return.html",
        order=order,
        progress=order_progress(order),
        payment=payment_state(order),
        viewer_may_open=viewer_may_open,
    )
