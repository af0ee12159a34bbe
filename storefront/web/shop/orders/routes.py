"""A buyer's orders: the list (customers), the lookup (guests), the order page, cancelling,
and opening the card payment again."""

from __future__ import annotations

from flask import flash, has_request_context, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, user_logged_out

from storefront.core.errors import DomainError, PaymentProviderError
from storefront.core.urls import external_url
from storefront.domain.orders.lifecycle import (
    can_cancel,
    cancel_order,
    find_guest_order,
    order_for_viewer,
    order_progress,
    orders_of_user,
    payment_state,
)
from storefront.domain.payments.card import settle_cancelled_order, start_card_payment
from storefront.domain.payments.stripe_gateway import card_payments_enabled
from storefront.models import OrderStatus, PaymentMethod
from storefront.web.shop.orders import bp

ACCESS_KEY = "order_access"
ACCESS_KEEP = 20  # the browser session remembers the last few orders a guest proved


def granted_orders() -> list[str]:
    return list(session.get(ACCESS_KEY, []))


def grant_order_access(number: str) -> None:
    """This browser session placed the order, or proved its number and e-mail."""
    numbers = [n for n in granted_orders() if n != number] + [number]
    session[ACCESS_KEY] = numbers[-ACCESS_KEEP:]


@user_logged_out.connect
def _forget_order_access(sender, user, **extra) -> None:
    # Logging out ends the browser's claims: the next person at this computer starts clean.
    if has_request_context():
        session.pop(ACCESS_KEY, None)


def _viewer_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


@bp.get("/")
@login_required
def index():
    orders = orders_of_user(current_user.id)
    return render_template(
        "orders/list.html",
        orders=orders,
        progress={o.id: order_progress(o) for o in orders},
    )


@bp.route("/lookup", methods=["GET", "POST"])
def lookup():
    number = request.form.get("number", "")
    email = request.form.get("email", "")
    if request.method == "POST":
        try:
            order = find_guest_order(number, email)
        except DomainError as error:
            flash(error.message, "error")
            return render_template("orders/lookup.html", number=number, email=email), 404
        grant_order_access(order.number)
        return redirect(url_for("orders.detail", number=order.number), code=303)
    return render_template("orders/lookup.html", number=number, email=email)


@bp.get("/<number>")
def detail(number: str):
    order = order_for_viewer(number, user_id=_viewer_id(), granted=granted_orders())
    state = payment_state(order)
    return render_template(
        "orders/detail.html",
        order=order,
        progress=order_progress(order),
        payment=state,
        just_placed=request.args.get("placed") == "1",
        can_cancel=can_cancel(order),
        can_pay=(
            order.status is OrderStatus.AWAITING_PAYMENT
            and order.payment_method is PaymentMethod.CARD
            and state == "awaiting"
            and card_payments_enabled()
        ),
    )


@bp.post("/<number>/cancel")
def cancel(number: str):
    try:
        cancelled = cancel_order(number, user_id=_viewer_id(), granted=granted_orders())
    except DomainError as error:
        if error.status == 404:
            raise
        flash(error.message, "error")
        return redirect(url_for("orders.detail", number=number), code=303)
    if cancelled.settle_payment:
        outcome = settle_cancelled_order(cancelled.order_id)
        if outcome == "refund_failed":
            flash(_("Your refund could not be sent yet; we will retry it shortly."), "warning")
    flash(_("Your order is cancelled."), "info")
    return redirect(url_for("orders.detail", number=cancelled.number), code=303)


@bp.post("/<number>/pay")
def pay(number: str):
    order = order_for_viewer(number, user_id=_viewer_id(), granted=granted_orders())
    number = order.number
    try:
        url = start_card_payment(
            number,
            success_url=external_url("checkout.stripe_return")
            + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=external_url("orders.detail", number=number),
        )
    except (PaymentProviderError, DomainError) as error:
        flash(error.message, "error")
        return redirect(url_for("orders.detail", number=number), code=303)
    return redirect(url, code=303)
