"""The cart: what a guest or a customer means to buy. Prices and stock always come from the
database, never from a form; a line whose listing stopped being public blocks checkout."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, overload

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from storefront.core.db import unit_of_work
from storefront.core.errors import (
    InvalidInput,
    NotFound,
    NotPublic,
    OutOfStock,
    QuantitiesRefused,
)
from storefront.domain.catalog.visibility import public_listing_ids
from storefront.domain.shipping import (
    ShippingRates,
    shipping_fee,
    short_of_free_shipping,
    zone,
)
from storefront.extensions import db
from storefront.models import Cart, CartLine, Cooperative, Listing, Package, utcnow

# Problems that block checkout until the buyer fixes the line.
NOT_PUBLIC = "not_public"  # the listing is no longer on sale: remove the line
SOLD_OUT = "sold_out"  # the package has no stock left: remove the line
NOT_ENOUGH_STOCK = "not_enough_stock"  # fewer left than wanted: lower the quantity


@dataclass(frozen=True)
class CartOwner:
    """Whose cart: a logged-in customer (user_id) or a guest (the token in their cookie)."""

    user_id: int | None = None
    token: str | None = None

    def clause(self) -> ColumnElement[bool] | None:
        if self.user_id is not None:
            return Cart.user_id == self.user_id
        if self.token:
            return Cart.token == self.token
        return None


def new_cart_token() -> str:
    return secrets.token_urlsafe(32)


def max_quantity() -> int:
    return int(current_app.config["CART_MAX_QUANTITY"])


def parse_quantity(raw: object, maximum: int | None = None) -> int:
    """A quantity from a form: a whole number from 1 to the maximum, or InvalidInput."""
    maximum = maximum or max_quantity()
    error = InvalidInput(
        _("Quantity must be a whole number from 1 to %(max)d.", max=maximum), field="quantity"
    )
    if isinstance(raw, bool):
        raise error
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw if raw is not None else "").strip()
        # Length first: int() of a huge digit string is slow, and nobody buys a million boxes.
        if not text or len(text) > 6 or not (text.isascii() and text.isdigit()):
            raise error
        value = int(text)
    if not 1 <= value <= maximum:
        raise error
    return value


# --- reading ------------------------------------------------------------------------------


def _lines_query(owner: CartOwner) -> Select[CartLine] | None:
    clause = owner.clause()
    if clause is None:
        return None
    return (
        select(CartLine)
        .join(Cart, Cart.id == CartLine.cart_id)
        .where(clause)
        .options(
            joinedload(CartLine.package)
            .joinedload(Package.listing)
            .options(
                joinedload(Listing.cooperative).joinedload(Cooperative.commune),
                joinedload(Listing.certificate),
                joinedload(Listing.origin_commune),
                joinedload(Listing.origin_legacy_commune),
                selectinload(Listing.images),
            )
        )
    )


def load_lines(owner: CartOwner, *, order_by_package: bool = False) -> list[CartLine]:
    """The cart's lines with package, listing, cooperative and certificate, in one query
    (plus one for photos), whatever the number of lines."""
    stmt = _lines_query(owner)
    if stmt is None:
        return []
    stmt = stmt.order_by(CartLine.package_id if order_by_package else CartLine.id)
    return list(db.session.scalars(stmt).unique())


def cart_item_count(owner: CartOwner) -> int:
    """How many items are in the cart (sum of quantities), in one query; 0 without a cart."""
    clause = owner.clause()
    if clause is None:
        return 0
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(CartLine.quantity), 0))
            .join(Cart, Cart.id == CartLine.cart_id)
            .where(clause)
        )
        or 0
    )


@dataclass
class CartLineView:
    line: CartLine
    unit_price: int
    line_total: int
    problem: str | None = None
    available: int | None = None  # units left, for NOT_ENOUGH_STOCK

    @property
    def package(self) -> Package:
        return self.line.package

    @property
    def most(self) -> int:
        """The largest quantity this line may take now: the stock (pre-orders aside), and
        never more than the per-line maximum."""
        maximum = max_quantity()
        return maximum if self.package.preorder else max(0, min(maximum, self.package.stock))

    @property
    def listing(self) -> Listing:
        return self.line.package.listing


@dataclass
class CooperativeGroup:
    """One cooperative's part of the cart: it becomes one shipment."""

    cooperative: Cooperative
    lines: list[CartLineView] = field(default_factory=list)
    subtotal: int = 0
    weight_grams: int = 0
    shipping_fee: int = 0
    zone: str = ""
    free_shipping_from: int = 0  # the shop's free-shipping threshold; 0 when there is none
    short_of_free_shipping: int = 0  # how much more for this parcel to ship free; 0 when it does


@dataclass
class CartSummary:
    groups: list[CooperativeGroup]
    subtotal: int
    shipping_total: int
    total: int
    item_count: int
    destination_known: bool

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def problems(self) -> list[CartLineView]:
        return [line for group in self.groups for line in group.lines if line.problem]

    @property
    def can_check_out(self) -> bool:
        return not self.is_empty and not self.problems


def line_problem(line: CartLine, public_ids: set[int]) -> tuple[str | None, int | None]:
    """What keeps a line from being bought now, if anything (and how many are left)."""
    package = line.package
    if not package.available:
        return SOLD_OUT, 0
    if package.listing_id not in public_ids:
        return NOT_PUBLIC, None
    if not package.preorder and line.quantity > package.stock:
        return NOT_ENOUGH_STOCK, package.stock
    return None, None


def summarise(
    lines: Sequence[CartLine],
    public_ids: set[int],
    *,
    destination_province_id: int | None,
    rates: ShippingRates,
) -> CartSummary:
    """Group lines by cooperative and price them from the packages' current prices."""
    groups: dict[int, CooperativeGroup] = {}
    for line in lines:
        package = line.package
        coop = package.listing.cooperative
        group = groups.get(coop.id)
        if group is None:
            group = groups[coop.id] = CooperativeGroup(cooperative=coop)
        problem, available = line_problem(line, public_ids)
        view = CartLineView(
            line=line,
            unit_price=package.price,
            line_total=package.price * line.quantity,
            problem=problem,
            available=available,
        )
        group.lines.append(view)
        group.subtotal += view.line_total
        group.weight_grams += package.weight_grams * line.quantity
    for group in groups.values():
        group.zone = zone(group.cooperative.commune.province_id, destination_province_id)
        group.shipping_fee = shipping_fee(group.weight_grams, group.subtotal, group.zone, rates)
        group.free_shipping_from = rates.free_from
        group.short_of_free_shipping = short_of_free_shipping(group.subtotal, rates)
    ordered = sorted(groups.values(), key=lambda g: (g.cooperative.legal_name, g.cooperative.id))
    subtotal = sum(g.subtotal for g in ordered)
    shipping_total = sum(g.shipping_fee for g in ordered)
    return CartSummary(
        groups=ordered,
        subtotal=subtotal,
        shipping_total=shipping_total,
        total=subtotal + shipping_total,
        item_count=sum(line.quantity for line in lines),
        destination_known=destination_province_id is not None,
    )


def cart_summary(
    owner: CartOwner, *, destination_province_id: int | None = None, today: date | None = None
) -> CartSummary:
    """The cart as the cart and checkout pages show it: a fixed number of queries.

    Without a destination the shipping estimate assumes another province (the dearer zone).
    """
    lines = load_lines(owner)
    public_ids = public_listing_ids({line.package.listing_id for line in lines}, today, stock=False)
    return summarise(
        lines,
        public_ids,
        destination_province_id=destination_province_id,
        rates=ShippingRates.from_config(current_app.config),
    )


# --- changing -----------------------------------------------------------------------------


def _describe(package: Package) -> str:
    return f"{package.listing.name} ({package.label})"


def _check_buyable(package: Package, wanted: int, today: date | None) -> None:
    if not package.available:
        raise OutOfStock(_("%(product)s is sold out.", product=_describe(package)))
    if package.listing_id not in public_listing_ids([package.listing_id], today, stock=False):
        raise NotPublic(_("%(product)s is not on sale any more.", product=package.listing.name))
    if not package.preorder and wanted > package.stock:
        raise OutOfStock(
            _(
                "Only %(num)d left of %(product)s.",
                num=package.stock,
                product=_describe(package),
            )
        )


@overload
def _cart_for(owner: CartOwner, *, create: Literal[True]) -> Cart: ...
@overload
def _cart_for(owner: CartOwner, *, create: bool) -> Cart | None: ...


def _cart_for(owner: CartOwner, *, create: bool) -> Cart | None:
    clause = owner.clause()
    if clause is None:
        if create:
            raise InvalidInput("a cart needs a user or a guest token")
        return None
    cart = db.session.scalar(select(Cart).where(clause))
    if cart is None and create:
        cart = Cart(user_id=owner.user_id, token=None if owner.user_id else owner.token)
        db.session.add(cart)
        db.session.flush()
    return cart


def _owned_line(owner: CartOwner, line_id: int) -> CartLine:
    clause = owner.clause()
    line = None
    if clause is not None:
        line = db.session.scalar(
            select(CartLine)
            .join(Cart, Cart.id == CartLine.cart_id)
            .where(CartLine.id == line_id, clause)
            .options(joinedload(CartLine.package).joinedload(Package.listing))
        )
    if line is None:
        raise NotFound(_("This line is not in your cart."))
    return line


def add_to_cart(
    owner: CartOwner, package_id: int, quantity: object, *, today: date | None = None
) -> None:
    """Add `quantity` of a package (more of it when the cart already holds it); commits once.

    Refuses, changing nothing, a listing that is not public, a sold-out package, more than is
    in stock (pre-orders excepted) or more than the per-line maximum.
    """
    maximum = max_quantity()
    quantity = parse_quantity(quantity, maximum)
    for attempt in (1, 2):
        try:
            with unit_of_work(writer=True):
                _add(owner, package_id, quantity, maximum, today)
            return
        except IntegrityError:
            # Two tabs created the same cart or line at once (PostgreSQL); the retry sees it.
            if attempt == 2:
                raise


def _add(
    owner: CartOwner, package_id: int, quantity: int, maximum: int, today: date | None
) -> None:
    """Add to the cart inside the caller's unit of work."""
    package = db.session.scalar(
        select(Package).where(Package.id == package_id).options(joinedload(Package.listing))
    )
    if package is None:
        raise NotFound(_("This package does not exist."))
    cart = _cart_for(owner, create=True)
    line = db.session.scalar(
        select(CartLine).where(CartLine.cart_id == cart.id, CartLine.package_id == package_id)
    )
    wanted = (line.quantity if line else 0) + quantity
    if wanted > maximum:
        raise InvalidInput(
            _("At most %(max)d of one package fit in a cart.", max=maximum),
            field="quantity",
        )
    _check_buyable(package, wanted, today)
    if line is None:
        db.session.add(CartLine(cart_id=cart.id, package_id=package_id, quantity=wanted))
    else:
        line.quantity = wanted


def set_line_quantity(
    owner: CartOwner, line_id: int, quantity: object, *, today: date | None = None
) -> None:
    """Set a line's quantity; the same limits as adding. Commits once, or changes nothing."""
    quantity = parse_quantity(quantity)
    with unit_of_work(writer=True):
        line = _owned_line(owner, line_id)
        package = line.package
        if not package.preorder and quantity > package.stock:
            raise OutOfStock(
                _(
                    "Only %(num)d left of %(product)s.",
                    num=package.stock,
                    product=_describe(package),
                )
            )
        line.quantity = quantity


def save_cart(
    owner: CartOwner,
    quantities: Mapping[int, object],
    *,
    step: tuple[int, int] | None = None,
    remove: int | None = None,
) -> None:
    """Save the cart form at once: every line's quantity as typed (`quantities`, by line id),
    one line stepped by +1 or -1 from its typed quantity (the stepper without JavaScript), and
    one line removed. Commits once.

    Only the owner's lines are touched; ids that are not theirs, or no longer in the cart
    (another tab removed them), are ignored, and lines the form does not name keep their
    quantity. A changed quantity obeys the same limits as adding; an unchanged one is left
    as it is (a line short of stock says so on the page). If any quantity is refused, nothing
    is saved: QuantitiesRefused names each refused line.
    """
    maximum = max_quantity()
    clause = owner.clause()
    if clause is None:
        return
    with unit_of_work(writer=True):
        lines = db.session.scalars(
            select(CartLine)
            .join(Cart, Cart.id == CartLine.cart_id)
            .where(clause)
            .order_by(CartLine.id)
            .options(joinedload(CartLine.package).joinedload(Package.listing))
        ).all()
        wanted: dict[int, int] = {}
        errors: dict[int, str] = {}
        for line in lines:
            if line.id == remove:
                continue
            raw = quantities.get(line.id, line.quantity)
            try:
                quantity = parse_quantity(raw, maximum)
                if step is not None and step[0] == line.id:
                    quantity = parse_quantity(quantity + step[1], maximum)
            except InvalidInput as error:
                errors[line.id] = error.message
                continue
            package = line.package
            if quantity != line.quantity and not package.preorder and quantity > package.stock:
                errors[line.id] = _(
                    "Only %(num)d left of %(product)s.",
                    num=package.stock,
                    product=_describe(package),
                )
                continue
            wanted[line.id] = quantity
        if errors:
            raise QuantitiesRefused(
                _("Nothing was saved: please correct the marked quantities."), errors
            )
        for line in lines:
            if line.id == remove:
                db.session.delete(line)
            elif line.quantity != wanted[line.id]:
                line.quantity = wanted[line.id]


def remove_line(owner: CartOwner, line_id: int) -> None:
    """Take a line out of the cart; commits once."""
    with unit_of_work(writer=True):
        db.session.delete(_owned_line(owner, line_id))


def merge_guest_cart(token: str, user_id: int) -> None:
    """At login: move the guest cart into the customer's, adding quantities, capped by stock
    (and the per-line maximum). Commits once; the guest cart is gone afterwards."""
    maximum = max_quantity()
    with unit_of_work(writer=True):
        guest = db.session.scalar(
            select(Cart)
            .where(Cart.token == token, Cart.user_id.is_(None))
            .options(selectinload(Cart.lines).joinedload(CartLine.package))
        )
        if guest is None:
            return
        mine = db.session.scalar(
            select(Cart).where(Cart.user_id == user_id).options(selectinload(Cart.lines))
        )
        if mine is None:
            # Nothing to merge with: the guest cart simply becomes the customer's.
            guest.user_id, guest.token = user_id, None
            return
        existing = {line.package_id: line for line in mine.lines}
        for line in guest.lines:
            package = line.package
            cap = maximum if package.preorder else min(maximum, package.stock)
            have = existing[line.package_id].quantity if line.package_id in existing else 0
            merged = max(have, min(have + line.quantity, cap))
            if merged < 1:
                continue  # sold out and not wanted before: nothing to keep
            if line.package_id in existing:
                existing[line.package_id].quantity = merged
            else:
                db.session.add(
                    CartLine(cart_id=mine.id, package_id=line.package_id, quantity=merged)
                )
        db.session.delete(guest)


def clear_lines(cart_line_ids: Iterable[int]) -> None:
    """Delete these cart lines (add-only helper for the caller's unit of work)."""
    ids = list(cart_line_ids)
    if ids:
        db.session.execute(
            delete(CartLine)
            .where(CartLine.id.in_(ids))
            .execution_options(synchronize_session=False)
        )


def purge_guest_carts_older_than(age: timedelta) -> int:
    """Delete guest carts untouched for `age` (customers' carts stay); returns how many."""
    cutoff = utcnow() - age
    with unit_of_work():
        stale = list(
            db.session.scalars(
                select(Cart.id).where(
                    Cart.user_id.is_(None),
                    Cart.updated_at < cutoff,
                    ~exists().where(CartLine.cart_id == Cart.id, CartLine.updated_at >= cutoff),
                )
            )
        )
        # Lines first: SQLite does not enforce ON DELETE CASCADE unless told to.
        db.session.execute(delete(CartLine).where(CartLine.cart_id.in_(stale)))
        db.session.execute(delete(Cart).where(Cart.id.in_(stale)))
    return len(stale)
