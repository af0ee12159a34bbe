"""Cart pages: show, add, change a quantity, remove; the header's item count; the guest cart
joins the customer's at login."""

from __future__ import annotations

import logging

from flask import (
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, user_logged_in
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from storefront.core.errors import DomainError, QuantitiesRefused
from storefront.core.inputs import parse_int
from storefront.domain.cart import (
    add_to_cart,
    cart_summary,
    max_quantity,
    merge_guest_cart,
    remove_line,
    save_cart,
    set_line_quantity,
)
from storefront.domain.catalog.visibility import public_listing_ids
from storefront.extensions import csrf, db
from storefront.models import Address, Package
from storefront.web.context import (
    COOKIE,
    COOKIE_DAYS,
    cart_count,
    cart_owner,
    cart_serializer,
    guest_token,
)
from storefront.web.http_cache import has_valid_token, is_cross_site
from storefront.web.redirects import safe_next
from storefront.web.shop.cart import bp

log = logging.getLogger(__name__)


@bp.after_app_request
def _write_cart_cookie(response):
    action = g.get("cart_cookie")
    if action == "set":
        response.set_cookie(
            COOKIE,
            cart_serializer().dumps(g.cart_token),
            max_age=COOKIE_DAYS * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    elif action == "delete":
        response.delete_cookie(COOKIE)
    return response


@user_logged_in.connect
def _merge_on_login(sender, user, **extra) -> None:
    """The guest cart joins the customer's cart as they log in."""
    if not has_request_context():
        return
    token = guest_token()
    if not token:
        return
    try:
        merge_guest_cart(token, user.id)
    except Exception:  # noqa: BLE001 - a cart problem must never stop a login
        log.exception("could not merge the guest cart at login")
    g.cart_cookie = "delete"
    g.pop("cart_count", None)


bp.add_app_template_global(cart_count, "cart_count")


# --- pages ------------------------------------------------------------------------------------


def destination_province_id() -> int | None:
    """Where a logged-in customer usually receives parcels, for the shipping estimate."""
    if not current_user.is_authenticated:
        return None
    address = db.session.scalar(
        select(Address)
        .where(Address.user_id == current_user.id)
        .order_by(Address.is_default.desc(), Address.id.desc())
        .limit(1)
    )
    return address.commune.province_id if address is not None else None


@bp.get("/")
def show():
    return _cart_page()


def _cart_page(errors: dict[int, str] | None = None, entered: dict[int, str] | None = None):
    summary = cart_summary(cart_owner(), destination_province_id=destination_province_id())
    return render_template(
        "cart/show.html",
        summary=summary,
        max_quantity=max_quantity(),
        errors=errors or {},
        entered=entered or {},
    )


def _back_to_cart():
    return redirect(url_for("cart.show"), code=303)


# --- adding from a page a CDN may cache ------------------------------------------------------
# A public product page (web/http_cache.py) carries no CSRF token: it is the same for every
# visitor and writes no session. The form gets one when it is used: static/js/buy.js fetches
# /cart/token (which starts the visitor's session) and puts it in the form before it is sent.
# Without JavaScript, or with a token that is not this visitor's (another visitor's, an
# expired session's), the add is not done and not lost either: the answer is a page that asks
# the visitor to confirm it, with a fresh token of their own. A request a browser marks as
# cross-site (Origin not the shop's, Sec-Fetch-Site not same-origin) is refused outright.
# So /cart/add is exempt from CSRFProtect's blanket check and makes its own; every other
# POST keeps CSRFProtect's. See docs/security.md.


@bp.get("/token")
def token():
    """A CSRF token for the visitor, for a form on a public page (static/js/buy.js). Only the
    shop's own pages can read it: no CORS header, and JSON is no script (nosniff)."""
    response = jsonify(token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _confirm_add(package_id: int | None):
    """The add, to confirm with a fresh token: nothing was changed."""
    product = None
    package = db.session.get(Package, package_id) if package_id is not None else None
    if package is not None and public_listing_ids([package.listing_id]):
        product = f"{package.listing.name} ({package.label})"
    form = request.form
    response = current_app.make_response(
        render_template(
            "cart/confirm_add.html",
            product=product,
            package_id=package_id,
            quantity=form.get("quantity", "1"),
            next_url=safe_next(form.get("next"), url_for("cart.show")),
            buy_now=bool(form.get("buy_now")),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@csrf.exempt
@bp.post("/add")
def add():
    # CSRF: checked here, not by CSRFProtect (see above).
    if is_cross_site():
        abort(403)
    package_id = parse_int(request.form.get("package_id"))
    if not has_valid_token():
        return _confirm_add(package_id)
    # Only the package and how many: the price always comes from the database.
    try:
        if package_id is None:
            raise DomainError(_("Please choose a package."))
        add_to_cart(cart_owner(create=True), package_id, request.form.get("quantity", "1"))
    except DomainError as error:
        flash(error.message, "error")
        if error.status == 404:
            return _back_to_cart()
        return redirect(safe_next(request.form.get("next"), url_for("cart.show")), code=303)
    if request.form.get("buy_now"):
        # "Mua ngay": the same form's second button; the item is in the cart, go pay for it.
        return redirect(url_for("checkout.start"), code=303)
    flash(_("Added to your cart."), "info")
    return _back_to_cart()


@bp.post("/save")
def save():
    """The cart form: every quantity at once, a stepper's − or +, a line's removal, and the
    checkout button (which saves first, so a typed quantity is never lost)."""
    form = request.form
    entered: dict[int, str] = {}
    for key, value in form.items():
        if key.startswith("quantity-"):
            line_id = parse_int(key.removeprefix("quantity-"))
            if line_id is not None:
                entered[line_id] = value
    step = None
    for name, delta in (("increase", 1), ("decrease", -1)):
        if (line_id := parse_int(form.get(name))) is not None:
            step = (line_id, delta)
    try:
        save_cart(cart_owner(), entered, step=step, remove=parse_int(form.get("remove")))
    except QuantitiesRefused as error:
        return _cart_page(error.errors, entered), 422
    if "checkout" in form:
        return redirect(url_for("checkout.start"), code=303)
    return _back_to_cart()


@bp.post("/lines/<int:line_id>")
def update(line_id: int):
    try:
        set_line_quantity(cart_owner(), line_id, request.form.get("quantity"))
    except DomainError as error:
        flash(error.message, "error")
    return _back_to_cart()


@bp.post("/lines/<int:line_id>/remove")
def remove(line_id: int):
    try:
        remove_line(cart_owner(), line_id)
    except DomainError as error:
        flash(error.message, "error")
    return _back_to_cart()
