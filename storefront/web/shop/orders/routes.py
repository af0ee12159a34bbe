"""A buyer's orders: the list (customers), the lookup and the signed order link (guests), the
order page, cancelling, and opening the card payment again."""

from __future__ import annotations

import time

from flask import (
    Response,
    current_app,
    flash,
    has_request_context,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, user_logged_out

from storefront.core import vietqr
from storefront.core.errors import DomainError, PaymentProviderError
from storefront.core.formatting import format_vnd
from storefront.core.urls import external_url
from storefront.domain.order_links import (
    InvalidOrderLink,
    max_age_days,
    order_for_link,
    order_link_token,
)
from storefront.domain.orders.lifecycle import (
    cancel_order,
    find_guest_order,
    normalise_order_number,
    order_for_viewer,
    order_progress,
    orders_of_user,
)
from storefront.domain.orders.tracking import order_view
from storefront.domain.payments import payos
from storefront.domain.payments.card import settle_cancelled_order, start_card_payment
from storefront.domain.payments.payos_gateway import payos_enabled
from storefront.domain.payments.stripe_gateway import card_payments_enabled
from storefront.domain.payments.vietqr import (
    TransferStatus,
    collection_account,
    order_transfer_payload,
    transfer_status,
)
from storefront.domain.reviews.links import review_link_token
from storefront.domain.reviews.writing import line_reviews
from storefront.domain.status_labels import payment_label, progress_label
from storefront.extensions import limiter
from storefront.models import Order, OrderStatus, PaymentMethod
from storefront.web.ratelimits import post_limit
from storefront.web.shop.orders import bp

ACCESS_KEY = "order_access"
ACCESS_KEEP = 20  # the browser session remembers the last few orders a guest proved


def granted_orders() -> list[str]:
    return list(session.get(ACCESS_KEY, []))


def grant_order_access(number: str) -> None:
    """This browser session placed the order, opened its link, or proved its number and phone."""
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


# --- the lookup: number and phone, limited like the log-in -------------------------------------


def _number_key() -> str:
    # Per order number however it is typed, so a phone cannot be guessed for one order by
    # spreading the tries over addresses.
    return "order-lookup:" + normalise_order_number(request.form.get("number", ""))


def _lookups_limited() -> str:
    return _("Too many tries to find an order. Please wait a minute, then try again.")


def _lookup_limit(config_name: str, key_func):
    return post_limit(config_name, key_func, _lookups_limited)


@bp.errorhandler(RateLimitExceeded)
def too_many_lookups(error: RateLimitExceeded):
    response = make_response(
        render_template(
            "orders/lookup.html",
            number=request.form.get("number", ""),
            phone=request.form.get("phone", ""),
            error=error.description,
        ),
        429,
    )
    current = limiter.current_limit
    if current is not None:
        response.headers["Retry-After"] = str(max(1, int(current.reset_at - time.time())))
    return response


@bp.route("/lookup", methods=["GET", "POST"])
@_lookup_limit("ORDER_LOOKUP_LIMIT_PER_IP", get_remote_address)
@_lookup_limit("ORDER_LOOKUP_LIMIT_PER_NUMBER", _number_key)
def lookup():
    number = request.form.get("number", "")
    phone = request.form.get("phone", "")
    if request.method == "POST":
        try:
            order = find_guest_order(number, phone)
        except DomainError as error:
            return render_template(
                "orders/lookup.html", number=number, phone=phone, error=error.message
            ), 404
        grant_order_access(order.number)
        return redirect(url_for("orders.detail", number=order.number), code=303)
    return render_template("orders/lookup.html", number=number, phone=phone, error=None)


# --- the order page ------------------------------------------------------------------------------


def transfer_message(order: Order, status: TransferStatus) -> str:
    """The sentence the transfer's live status region says (the page, and the JSON that
    updates it)."""
    received, due = format_vnd(status.amount_received), format_vnd(status.amount_due)
    state = status.state
    if state == "transfer_awaiting":
        return _(
            "Waiting for your transfer. This page changes by itself as soon as the bank tells"
            " us the money arrived."
        )
    if state == "partly_paid":
        return _(
            "Received %(received)s, %(due)s still to pay. Transfer the balance with the same"
            " payment code.",
            received=received,
            due=due,
        )
    if state == "paid":
        return _(
            "Paid: we received %(amount)s. Thank you! The cooperatives now prepare your order.",
            amount=format_vnd(status.amount),
        )
    if state == "transfer_expired":
        if order.status is OrderStatus.CANCELLED:
            return _(
                "The time to pay ran out and no transfer arrived: the order is cancelled."
                " Please do not transfer money for it."
            )
        return _(
            "The time to pay has run out. If you have just transferred, this page changes when"
            " the bank tells us; otherwise the order is cancelled shortly."
        )
    if state == "refund_pending":
        return _(
            "This order is cancelled: the %(received)s you transferred will be refunded.",
            received=received,
        )
    if state == "refunded":
        return _("This order is cancelled and your transfer was refunded.")
    return _("This order is cancelled. Please do not transfer money for it.")


def _transfer_context(order: Order) -> dict:
    status = transfer_status(order)
    if status is None:
        return {"transfer": None}
    account = collection_account()
    return {
        "transfer": status,
        # Without a configured account the page cannot show where to pay (the QR route
        # answers 404 too): it says the state only.
        "transfer_account": account,
        "transfer_message": transfer_message(order, status),
        "hold_minutes": int(current_app.config["VIETQR_TRANSFER_HOLD_MINUTES"]),
    }


def payos_urls(number: str) -> payos.Urls:
    """Where payOS sends the buyer back: the order page, told which way (the page only shows
    the order's real state; nothing in these addresses changes it)."""
    return payos.Urls(
        return_url=external_url("orders.detail", number=number, payos="return"),
        cancel_url=external_url("orders.detail", number=number, payos="cancelled"),
    )


def _can_pay(order: Order, payment: str) -> bool:
    if order.status is not OrderStatus.AWAITING_PAYMENT or payment != "awaiting":
        return False
    if order.payment_method is PaymentMethod.PAYOS:
        return payos_enabled()
    return order.payment_method is PaymentMethod.CARD and card_payments_enabled()


def _review_links(order: Order) -> dict[int, tuple[str, str]]:
    """Per delivered line the buyer may review: ("write" or "edit", the form's address). The
    account's own order: its review page; a guest's: the line's signed review link."""
    states = line_reviews(order)
    if not states:
        return {}
    own = current_user.is_authenticated and order.user_id == current_user.id
    if not own and order.user_id is not None:
        return {}  # an account's order seen by someone else: they review from that account
    links = {}
    for line in order.lines:
        state = states.get(line.id)
        if state is None or state.state == "done":
            continue
        url = (
            url_for("reviews.write", order_line_id=line.id)
            if own
            else url_for("reviews.guest", token=review_link_token(line))
        )
        links[line.id] = (state.state, url)
    return links


def _order_page(order: Order, *, just_placed: bool = False):
    view = order_view(order)
    guest = order.user_id is None
    # Back from payOS: only which message to show (the state is the webhook's to change).
    payos_return = request.args.get("payos", "")
    return render_template(
        "orders/detail.html",
        **_transfer_context(order),
        view=view,
        order=order,
        progress=view.progress,
        payment=view.payment,
        just_placed=just_placed,
        can_cancel=view.can_cancel,
        can_pay=_can_pay(order, view.payment),
        payos_return=payos_return if payos_return in ("return", "cancelled") else "",
        # A guest keeps the order by its link: shown to save (and copy), valid so many days.
        order_link=external_url("orders.link", token=order_link_token(order)) if guest else None,
        link_days=max_age_days(),
        review_links=_review_links(order),
    )


@bp.get("/<number>")
def detail(number: str):
    order = order_for_viewer(number, user_id=_viewer_id(), granted=granted_orders())
    return _order_page(order, just_placed=request.args.get("placed") == "1")


@bp.get("/link/<token>")
def link(token: str):
    """A guest's signed order link (e-mails, the confirmation page), in any browser: shows the
    order and lets this browser session act on it (cancel, pay) as the one that placed it."""
    try:
        order = order_for_link(token)
    except InvalidOrderLink as error:
        return render_template("orders/link_invalid.html", message=error.message), 400
    grant_order_access(order.number)
    return _order_page(order)


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
    else:
        payos.settle_cancelled_order(cancelled.order_id)  # closes a payOS link, if any
    flash(_("Your order is cancelled."), "info")
    return redirect(url_for("orders.detail", number=cancelled.number), code=303)


@bp.post("/<number>/pay")
def pay(number: str):
    order = order_for_viewer(number, user_id=_viewer_id(), granted=granted_orders())
    number = order.number
    if order.payment_method is PaymentMethod.PAYOS:
        return _pay_with_payos(number)
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


# --- paying by bank transfer: the QR and the live status --------------------------------------


def _private(response: Response) -> Response:
    # The buyer's order: never kept by a shared cache, nor by the browser (the state changes).
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _transfer_qr(number: str) -> tuple[Order, str]:
    order = order_for_viewer(number, user_id=_viewer_id(), granted=granted_orders())
    return order, order_transfer_payload(order)


@bp.get("/<number>/vietqr.svg")
def vietqr_svg(number: str):
    """The VietQR for what the order still owes (the whole total, or the balance of a partly
    paid transfer); 404 when nothing is to be paid by transfer now."""
    order, payload = _transfer_qr(number)
    image = vietqr.render_svg(
        payload, scale=4, title=_("VietQR for order %(number)s", number=order.number)
    )
    return _private(Response(image, mimetype="image/svg+xml"))


@bp.get("/<number>/vietqr.png")
def vietqr_png(number: str):
    """The same QR as a PNG: to save to the phone's photos and open in the banking app."""
    _order, payload = _transfer_qr(number)
    return _private(Response(vietqr.render_png(payload, scale=8), mimetype="image/png"))


@bp.get("/<number>/payment-status")
def payment_status(number: str):
    """The transfer's live state, polled by static/js/transfer.js (a refresh of the order
    page shows the same without JavaScript). 404 for an order not paid by transfer."""
    order = order_for_viewer(number, user_id=_viewer_id(), granted=granted_orders())
    status = transfer_status(order)
    if status is None:
        return _private(make_response(jsonify(error="not a bank transfer order"), 404))
    return _private(
        jsonify(
            state=status.state,
            label=payment_label(status.state),
            progress=order_progress(order),
            progress_label=progress_label(order_progress(order)),
            message=transfer_message(order, status),
            final=status.final,
            payable=status.payable,
            amount=status.amount,
            amount_received=status.amount_received,
            amount_due=status.amount_due,
            amount_due_text=format_vnd(status.amount_due),
            expires_at=(
                status.expires_at.isoformat(timespec="seconds") if status.expires_at else None
            ),
            seconds_left=status.seconds_left,
        )
    )


def _pay_with_payos(number: str):
    """Try again: payOS is asked about the last link first (paid → the order is paid; still
    open → closed there before a new one is made)."""
    if not payos_enabled():
        flash(_("Payment through payOS is not available."), "error")
        return redirect(url_for("orders.detail", number=number), code=303)
    try:
        url = payos.start_payos_payment(number, urls=payos_urls(number))
    except (PaymentProviderError, DomainError) as error:
        if error.status == 404:
            raise
        flash(error.message, "error")
        return redirect(url_for("orders.detail", number=number), code=303)
    if url is None:
        flash(_("payOS has received your payment."), "info")
        return redirect(url_for("orders.detail", number=number), code=303)
    return redirect(url, code=303)
