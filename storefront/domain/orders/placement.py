"""Placing an order: one function, one transaction. The cart becomes an order with snapshot
lines and one shipment per cooperative, and stock is taken with guarded UPDATEs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError

from storefront.core import vietqr
from storefront.core.db import lock_name, rows_matched, unit_of_work
from storefront.core.errors import (
    CashOnDeliveryLimit,
    InvalidInput,
    InvalidPhone,
    NotFound,
    NotPublic,
    OutOfStock,
    PriceChanged,
)
from storefront.core.phones import normalize_vn_phone
from storefront.domain import notifications as notify
from storefront.domain.cart import (
    NOT_ENOUGH_STOCK,
    NOT_PUBLIC,
    SOLD_OUT,
    CartOwner,
    CartSummary,
    cart_summary,
    clear_lines,
    load_lines,
    summarise,
)
from storefront.domain.catalog.visibility import public_listing_ids
from storefront.domain.jobs import later
from storefront.domain.locations import current_commune_by_id, describe_unit, origin_text
from storefront.domain.orders.lifecycle import new_order_number
from storefront.domain.shipping import ShippingRates
from storefront.extensions import db
from storefront.models import (
    Address,
    CartLine,
    Order,
    OrderLine,
    OrderStatus,
    Package,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Shipment,
    ShipmentStatus,
    User,
    limits,
    utcnow,
)


@dataclass(frozen=True)
class CheckoutDetails:
    """Who receives the order, where, and how they pay: plain values, checked again here.
    `email` may be "" (a guest who gave none)."""

    email: str
    phone: str
    recipient: str
    street: str
    commune_id: int
    payment_method: PaymentMethod
    locale: str = "vi"


def check_details(
    details: CheckoutDetails,
    *,
    card_enabled: bool,
    transfer_enabled: bool = False,
    payos_enabled: bool = False,
) -> CheckoutDetails:
    """The details, normalised; InvalidInput naming the field if one is not acceptable.

    The e-mail is optional: an order without one stores "" and simply sends the buyer no
    mail (the phone is what the cooperatives and the shipper use)."""
    email = (details.email or "").strip()
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            raise InvalidInput(_("Please enter a valid e-mail address."), field="email") from None
    try:
        phone = normalize_vn_phone(details.phone)
    except InvalidPhone as error:
        raise InvalidPhone(error.message, field="phone") from None
    recipient, street = (details.recipient or "").strip(), (details.street or "").strip()
    if not recipient or len(recipient) > limits.PERSON_NAME:
        raise InvalidInput(_("Please enter the recipient's name."), field="recipient")
    if not street or len(street) > limits.STREET:
        raise InvalidInput(_("Please enter the street address."), field="street")
    if details.payment_method is PaymentMethod.CARD and not card_enabled:
        raise InvalidInput(_("Card payment is not available."), field="payment_method")
    if details.payment_method is PaymentMethod.TRANSFER and not transfer_enabled:
        raise InvalidInput(_("Bank transfer is not available."), field="payment_method")
    if details.payment_method is PaymentMethod.PAYOS and not payos_enabled:
        raise InvalidInput(_("Payment through payOS is not available."), field="payment_method")
    return CheckoutDetails(
        email=email.lower(),
        phone=phone,
        recipient=recipient,
        street=street,
        commune_id=details.commune_id,
        payment_method=PaymentMethod(details.payment_method),
        locale=details.locale if details.locale in current_app.config["LANGUAGES"] else "vi",
    )


def saved_address(user_id: int, address_id: int) -> Address:
    """One of the customer's saved addresses; NotFound for anyone else's."""
    address = db.session.scalar(
        select(Address).where(Address.id == address_id, Address.user_id == user_id)
    )
    if address is None:
        raise NotFound(_("This address is not in your address book."))
    return address


def checkout_quote(owner: CartOwner, *, commune_id: int | None = None) -> CartSummary:
    """The cart priced for a destination: exact shipping once the commune is known."""
    commune = current_commune_by_id(commune_id)
    return cart_summary(owner, destination_province_id=commune.province_id if commune else None)


def _refuse(summary: CartSummary) -> None:
    """Raise the typed error for the first line that cannot be bought, naming the product."""
    for view in summary.problems:
        product = f"{view.listing.name} ({view.package.label})"
        if view.problem == SOLD_OUT:
            raise OutOfStock(_("%(product)s is sold out.", product=product))
        if view.problem == NOT_PUBLIC:
            raise NotPublic(_("%(product)s is not on sale any more.", product=view.listing.name))
        if view.problem == NOT_ENOUGH_STOCK:
            raise OutOfStock(
                _("Only %(num)d left of %(product)s.", num=view.available, product=product)
            )


def open_cod_orders(phone: str) -> int:
    """Cash-on-delivery orders of this (normalised) phone still waiting for a cooperative to
    confirm them: placed, and some part still new (not packed, shipped or cancelled)."""
    waiting = exists().where(Shipment.order_id == Order.id, Shipment.status == ShipmentStatus.NEW)
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Order)
            .where(
                Order.phone == phone,
                Order.payment_method == PaymentMethod.COD,
                Order.status == OrderStatus.PLACED,
                waiting,
            )
        )
        or 0
    )


def _check_cash_on_delivery(details: CheckoutDetails, lines: list[CartLine]) -> None:
    """The caps on a cash-on-delivery order (it takes stock without paying): units per
    package, and open orders per phone. CashOnDeliveryLimit, before anything changes.

    The phone's lock is held to the end of the placement's transaction, so two checkouts with
    one phone count one after the other and cannot both squeeze under the cap (PostgreSQL: an
    advisory lock; SQLite: the placement already holds the write lock). It is taken before any
    stock row, so the lock order stays the same for every placement.
    """
    if details.payment_method is not PaymentMethod.COD:
        return
    config = current_app.config
    max_units = int(config.get("COD_MAX_UNITS_PER_PACKAGE") or 0)
    for line in lines:
        if max_units and line.quantity > max_units:
            raise CashOnDeliveryLimit(
                _(
                    "Cash on delivery: at most %(num)d × %(product)s in one order. Please lower"
                    " the quantity.",
                    num=max_units,
                    product=f"{line.package.listing.name} ({line.package.label})",
                ),
                field="payment_method",
            )
    max_open = int(config.get("COD_MAX_OPEN_ORDERS_PER_PHONE") or 0)
    if max_open:
        lock_name(f"cod-phone:{details.phone}")
        if open_cod_orders(details.phone) >= max_open:
            raise CashOnDeliveryLimit(
                _(
                    "This phone number already has %(num)d cash-on-delivery orders waiting for"
                    " the cooperatives to confirm them. Please wait until they are confirmed.",
                    num=max_open,
                ),
                field="phone",
            )


def _take_stock(package: Package, quantity: int) -> int:
    """Take stock for one line with a guarded UPDATE; returns the units taken.

    `stock >= :q` in the WHERE makes the check and the decrement one atomic step: of two
    buyers racing for the last unit, the second matches no row (PostgreSQL re-checks the row
    after the first commits) and gets OutOfStock. A pre-order takes what stock there is.
    """
    take = quantity
    if package.preorder:
        # Lock the row so that the stock read is the stock taken (SQLite already holds the
        # database's write lock: BEGIN IMMEDIATE).
        stock = db.session.scalar(
            select(Package.stock).where(Package.id == package.id).with_for_update()
        )
        take = min(stock or 0, quantity)
        if take == 0:
            return 0  # nothing in stock: the whole line waits for the harvest
    result = db.session.execute(
        update(Package)
        .where(Package.id == package.id, Package.stock >= take)
        .values(stock=Package.stock - take, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if rows_matched(result) != 1:
        raise OutOfStock(
            _("%(product)s is sold out.", product=f"{package.listing.name} ({package.label})")
        )
    return take


def place_order(
    owner: CartOwner,
    details: CheckoutDetails,
    *,
    expected_subtotal: int | None = None,
    card_enabled: bool = False,
    transfer_enabled: bool = False,
    payos_enabled: bool = False,
    today: date | None = None,
    now: datetime | None = None,
) -> Order:
    """Turn the owner's cart into an order, in one transaction that commits once.

    Re-checks visibility and stock and re-prices every line from the database; if
    `expected_subtotal` (the goods' total the buyer was shown) differs, raises PriceChanged.
    Takes stock with guarded UPDATEs, packages in id order so that concurrent placements take
    their row locks in the same order and cannot deadlock. Creates the order with snapshot
    lines, one shipment (and shipping fee) per cooperative and a pending payment, and empties
    the cart.
    On any failure everything rolls back: stock, cart and orders are as they were.
    No network call happens inside the transaction: e-mails leave after the commit, and a
    card order's Stripe session is created by the caller (payments.start_card_payment).
    """
    details = check_details(
        details,
        card_enabled=card_enabled,
        transfer_enabled=transfer_enabled,
        payos_enabled=payos_enabled,
    )
    now = now or utcnow()
    for attempt in range(1, PAYMENT_CODE_ATTEMPTS + 1):
        try:
            with unit_of_work(writer=True) as unit:
                order = _place(owner, details, expected_subtotal, today, now)
                if order.payment_method in (PaymentMethod.COD, PaymentMethod.TRANSFER):
                    # Cash on delivery is placed now: buyer and cooperatives hear of it. A
                    # bank transfer order sends the buyer the payment instructions (the
                    # cooperatives hear of it once it is paid); a card order is announced when
                    # Stripe's webhook says it is paid.
                    later(unit, notify.order_placed, order.id)
            return order
        except IntegrityError as error:
            # Two placements drew the same payment code at the same moment (checked unused
            # above, but neither had committed): everything rolled back, so draw again.
            if (
                details.payment_method is not PaymentMethod.TRANSFER
                or attempt == (PAYMENT_CODE_ATTEMPTS)
                or "payment_code" not in str(error.orig)
            ):
                raise
    raise AssertionError("unreachable")


PAYMENT_CODE_ATTEMPTS = 3


def _payment_code_taken(code: str) -> bool:
    return bool(db.session.scalar(select(exists().where(Order.payment_code == code))))


def new_transfer_code() -> str:
    """A payment code no order has (add-only: runs inside the placement's unit; the unique
    constraint on orders.payment_code backs it against a concurrent placement)."""
    return vietqr.new_payment_code(_payment_code_taken)


def _place(
    owner: CartOwner,
    details: CheckoutDetails,
    expected_subtotal: int | None,
    today: date | None,
    now: datetime,
) -> Order:
    commune = current_commune_by_id(details.commune_id)
    if commune is None:
        raise InvalidInput(_("Please choose the commune."), field="commune")
    lines = load_lines(owner, order_by_package=True)
    if not lines:
        raise InvalidInput(_("Your cart is empty."))
    # The lines' own stock is checked below (line_problem, then the guarded UPDATE): the
    # visibility re-check leaves it out so that both cannot disagree (public_listing_ids).
    public_ids = public_listing_ids({line.package.listing_id for line in lines}, today, stock=False)
    summary = summarise(
        lines,
        public_ids,
        destination_province_id=commune.province_id,
        rates=ShippingRates.from_config(current_app.config),
    )
    _refuse(summary)
    if expected_subtotal is not None and expected_subtotal != summary.subtotal:
        raise PriceChanged(
            _("Prices changed since you opened this page. Please check the new total.")
        )

    _check_cash_on_delivery(details, lines)
    # Lines come sorted by package id: the lock order every placement shares.
    taken = {line.id: _take_stock(line.package, line.quantity) for line in lines}

    order = Order(
        number=new_order_number(),
        user_id=owner.user_id,
        email=details.email,
        phone=details.phone,
        recipient=details.recipient,
        street=details.street,
        commune_id=commune.id,
        address_text=f"{details.street}, {describe_unit(commune)}",
        payment_method=details.payment_method,
        status=(
            OrderStatus.PLACED
            if details.payment_method is PaymentMethod.COD
            else OrderStatus.AWAITING_PAYMENT
        ),
        locale=details.locale,
        subtotal=summary.subtotal,
        shipping_total=summary.shipping_total,
        total=summary.total,
    )
    for group in summary.groups:
        coop = group.cooperative
        shipment = Shipment(
            cooperative_id=coop.id,
            cooperative_name=coop.legal_name,
            subtotal=group.subtotal,
            shipping_fee=group.shipping_fee,
            weight_grams=group.weight_grams,
        )
        order.shipments.append(shipment)
        for view in group.lines:
            package, listing = view.package, view.listing
            certificate = listing.certificate
            assert certificate is not None  # checked public above, so certified
            order.lines.append(
                OrderLine(
                    shipment=shipment,
                    package_id=package.id,
                    listing_id=listing.id,
                    product_name=listing.name,
                    package_label=package.label,
                    weight_grams=package.weight_grams,
                    unit_price=view.unit_price,
                    quantity=view.line.quantity,
                    cooperative_id=coop.id,
                    cooperative_name=coop.legal_name,
                    certificate_number=certificate.number,
                    stars=certificate.stars,
                    origin=origin_text(listing),
                    stock_taken=taken[view.line.id],
                )
            )
    order.payments.append(_first_payment(details.payment_method, summary.total, now))
    if details.payment_method is PaymentMethod.TRANSFER:
        order.payment_code = new_transfer_code()
    db.session.add(order)
    clear_lines(line.id for line in lines)
    db.session.flush()
    return order


def _first_payment(method: PaymentMethod, total: int, now: datetime) -> Payment:
    """The order's pending payment: a card attempt open for STRIPE_CHECKOUT_MINUTES; a bank
    transfer expected within VIETQR_TRANSFER_HOLD_MINUTES (the stock is held that long); a
    payOS link open PAYOS_LINK_MINUTES (created by the caller after the commit,
    payments.payos); cash on delivery with no deadline."""
    config = current_app.config
    provider, expires_at = "cod", None
    if method is PaymentMethod.CARD:
        provider = "stripe"
        expires_at = now + timedelta(minutes=int(config["STRIPE_CHECKOUT_MINUTES"]))
    elif method is PaymentMethod.TRANSFER:
        provider = "vietqr"
        expires_at = now + timedelta(minutes=int(config["VIETQR_TRANSFER_HOLD_MINUTES"]))
    elif method is PaymentMethod.PAYOS:
        provider = "payos"
        expires_at = now + timedelta(minutes=int(config["PAYOS_LINK_MINUTES"]))
    return Payment(
        provider=provider,
        amount=total,
        amount_received=0,
        currency="vnd",
        status=PaymentStatus.PENDING,
        expires_at=expires_at,
    )


def default_details_for(user: User | None) -> dict[str, str]:
    """What the checkout form starts with for a logged-in customer: their default address
    (else their first saved one) chosen, so the order takes one tap; name and phone ready for
    a new address."""
    if user is None:
        return {}
    values = {"phone": user.phone, "recipient": user.name}
    saved = sorted(user.addresses, key=lambda a: (not a.is_default, a.id))
    if saved:
        values["address_id"] = str(saved[0].id)
    return values
