"""Checkout: the address and payment form, placing the order, the return from Stripe."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from storefront.core.errors import (
    DomainError,
    InvalidInput,
    NotPublic,
    OutOfStock,
    PaymentProviderError,
)
from storefront.core.formatting import format_vnd
from storefront.core.inputs import parse_int
from storefront.core.urls import external_url
from storefront.domain.locations import communes_of, current_commune, provinces
from storefront.domain.orders.lifecycle import order_progress, payment_state
from storefront.domain.orders.placement import (
    CheckoutDetails,
    checkout_quote,
    default_details_for,
    place_order,
    saved_address,
)
from storefront.domain.payments.card import order_for_session, start_card_payment
from storefront.domain.payments.stripe_gateway import card_payments_enabled
from storefront.models import PaymentMethod
from storefront.web.context import cart_owner
from storefront.web.shop.checkout import bp
from storefront.web.shop.checkout.forms import NEW_ADDRESS, CheckoutForm
from storefront.web.shop.orders.routes import grant_order_access


def _user():
    return current_user if current_user.is_authenticated else None


def _build_form() -> CheckoutForm:
    user = _user()
    form = CheckoutForm(data=default_details_for(user) if request.method == "GET" else None)
    addresses = list(user.addresses) if user else []
    form.address_id.choices = [(NEW_ADDRESS, _("A new address"))] + [
        (str(a.id), f"{a.recipient}, {a.street}, {a.commune.name}") for a in addresses
    ]
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
    if card_payments_enabled():
        methods.append(("card", _("Card (Stripe)")))
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
    if form.uses_saved_address:
        address = saved_address(current_user.id, int(form.address_id.data))
        return CheckoutDetails(
            email=form.email.data or "",
            phone=form.phone.data or address.phone,
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
        email=form.email.data or "",
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
            card_enabled=card_payments_enabled(),
        ),
        status,
    )


@bp.get("/")
def start():
    return _render(_build_form())


@bp.post("/")
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
    if method is PaymentMethod.COD:
        return redirect(url_for("orders.detail", number=number, placed=1), code=303)
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
