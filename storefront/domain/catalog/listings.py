"""Listings as their cooperative manages them: details, origin, certificate, packages, photos
and stock, and the moves between draft, on sale, paused and archived.

Every function takes the cooperative's id and the acting user, and only ever finds rows of
that cooperative: another cooperative's id is simply NotFound, whatever the URL said.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from storefront.core.db import unit_of_work
from storefront.core.errors import (
    CertificateInUse,
    CooperativeNotApproved,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    InvalidUpload,
    NotFound,
    StockChanged,
)
from storefront.core.files import Upload, check_image, check_photo
from storefront.core.inputs import has_control_characters
from storefront.core.media import (
    delete_listing_photo_files,
    delete_original,
    store_original,
)
from storefront.core.text import slugify
from storefront.domain.catalog.photos import job_key, process_listing_photo
from storefront.domain.catalog.visibility import public_listing_clause
from storefront.domain.cooperatives.members import is_member
from storefront.domain.jobs import later_once
from storefront.domain.locations import (
    current_commune,
    describe_unit,
    former_communes,
    legacy_commune,
)
from storefront.extensions import db
from storefront.models import (
    AdminUnit,
    Certificate,
    CertificateStatus,
    Cooperative,
    CooperativeStatus,
    Listing,
    ListingImage,
    ListingStatus,
    OcopGroup,
    Package,
    PhotoStatus,
    User,
    limits,
    utcnow,
)

MAX_PHOTOS = limits.LISTING_PHOTOS
MAX_PRICE = 1_000_000_000  # đồng; anything above is a typo (and overflows the column)
MAX_STOCK = 1_000_000
MAX_WEIGHT_GRAMS = 1_000_000


@dataclass
class PackageInput:
    """One package row as the seller wants it. `id` is None for a new package.

    `shown_stock` is the stock the form displayed: stock is written only when the seller
    changed it, and only if no order moved it in the meantime.
    """

    label: str
    weight_grams: int
    price: int
    stock: int
    preorder: bool = False
    sku: str | None = None
    id: int | None = None
    shown_stock: int | None = None


@dataclass
class ListingInput:
    name: str
    description: str
    ocop_group: int
    origin_commune_code: int | None
    origin_legacy_commune_code: int | None = None
    origin_recorded: str = ""
    # The seller confirms a pre-2025 commune the current one did not grow from.
    origin_legacy_exception: bool = False
    certificate_id: int | None = None
    packages: list[PackageInput] = field(default_factory=list)
    name_en: str = ""  # optional English name, shown in the English UI
    summary_en: str = ""  # optional English short description


# --- loaders: the cooperative's own rows or NotFound ---------------------------------------------


def require_member(actor: User | None, cooperative_id: int) -> None:
    if not is_member(actor, cooperative_id):
        raise Forbidden(_("You do not work for this cooperative."))


def get_listing(listing_id: int, cooperative_id: int, *, for_update: bool = False) -> Listing:
    """The cooperative's listing, or NotFound (also for another cooperative's listing)."""
    stmt = select(Listing).where(Listing.id == listing_id, Listing.cooperative_id == cooperative_id)
    if for_update:
        # Re-read under the lock even if loaded before in this session.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    listing = db.session.scalar(stmt)
    if listing is None:
        raise NotFound(_("There is no such product in your shop."))
    return listing


def get_photo(photo_id: int, listing_id: int, cooperative_id: int) -> ListingImage:
    photo = db.session.scalar(
        select(ListingImage)
        .join(Listing, Listing.id == ListingImage.listing_id)
        .where(
            ListingImage.id == photo_id,
            ListingImage.listing_id == listing_id,
            Listing.cooperative_id == cooperative_id,
        )
    )
    if photo is None:
        raise NotFound(_("There is no such photo."))
    return photo


def listings_of(cooperative_id: int, *, archived: bool = False) -> list[Listing]:
    """The cooperative's listings for its workspace (archived ones only when asked), newest
    first."""
    status_filter = (
        Listing.status == ListingStatus.ARCHIVED
        if archived
        else Listing.status != ListingStatus.ARCHIVED
    )
    return list(
        db.session.scalars(
            select(Listing)
            .where(Listing.cooperative_id == cooperative_id, status_filter)
            .options(
                joinedload(Listing.cooperative),
                joinedload(Listing.certificate),
                selectinload(Listing.packages),
                selectinload(Listing.images),
            )
            .order_by(Listing.updated_at.desc(), Listing.id.desc())
        ).unique()
    )


def public_ids(cooperative_id: int) -> set[int]:
    """Ids of the cooperative's listings that are public right now (the one visibility rule)."""
    return set(
        db.session.scalars(
            select(Listing.id).where(
                Listing.cooperative_id == cooperative_id, public_listing_clause()
            )
        )
    )


def certificate_choices(cooperative_id: int, listing_id: int | None = None) -> list[Certificate]:
    """Certificates a listing may be sold under: the cooperative's own, not revoked, and not
    backing another listing (one product per certificate)."""
    other_listing = exists().where(
        Listing.certificate_id == Certificate.id,
        Listing.id != (listing_id or 0),
    )
    return list(
        db.session.scalars(
            select(Certificate)
            .where(
                Certificate.cooperative_id == cooperative_id,
                Certificate.status != CertificateStatus.REVOKED,
                ~other_listing,
            )
            .order_by(Certificate.product_name, Certificate.id)
        )
    )


# --- origin ---------------------------------------------------------------------------------------


def _as_recorded(unit: AdminUnit) -> str:
    return describe_unit(unit)[: limits.ORIGIN_RECORDED]


def _set_origin(listing: Listing, data: ListingInput, actor: User) -> None:
    commune = current_commune(data.origin_commune_code)
    if commune is None:
        raise InvalidInput(_("Choose the commune the product comes from."), field="origin_commune")
    legacy = None
    exception = False
    if data.origin_legacy_commune_code:
        legacy = legacy_commune(data.origin_legacy_commune_code)
        if legacy is None:
            raise InvalidInput(
                _("Choose a pre-2025 commune from the list."), field="origin_legacy_commune"
            )
        formed_from = former_communes(commune.code)
        if legacy.id not in {unit.id for unit in formed_from}:
            if not data.origin_legacy_exception:
                raise InvalidInput(
                    _(
                        "%(old)s is not one of the pre-2025 communes %(new)s grew from"
                        " (%(names)s). Choose one of them, or tick the confirmation if the"
                        " certificate really names it.",
                        old=describe_unit(legacy),
                        new=commune.name,
                        names=", ".join(unit.name for unit in formed_from) or "—",
                    ),
                    field="origin_legacy_commune",
                )
            exception = True
    if exception:
        unchanged = listing.origin_legacy_exception and listing.origin_legacy_commune is legacy
        if not unchanged:
            listing.origin_legacy_confirmed_by_id = actor.id
            listing.origin_legacy_confirmed_at = utcnow()
    else:
        listing.origin_legacy_confirmed_by_id = None
        listing.origin_legacy_confirmed_at = None
    listing.origin_legacy_exception = exception
    listing.origin_commune = commune
    listing.origin_legacy_commune = legacy
    recorded = " ".join((data.origin_recorded or "").split())
    if len(recorded) > limits.ORIGIN_RECORDED:
        raise InvalidInput(_("At most 255 characters."), field="origin_recorded")
    # Kept as the seller wrote it (as on the certificate); else the names of the units chosen.
    listing.origin_recorded = recorded or _as_recorded(legacy or commune)


# --- creating and editing ------------------------------------------------------------------------


def _unique_slug(name: str, listing_id: int | None = None) -> str:
    base = slugify(name, max_length=200) or "san-pham"
    slug = base
    while db.session.scalar(
        select(exists().where(Listing.slug == slug, Listing.id != (listing_id or 0)))
    ):
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


def _check_english(data: ListingInput) -> tuple[str, str]:
    """The optional English name and short description: one line each (spaces collapsed),
    no control characters, within their limits."""
    name_en = " ".join((data.name_en or "").split())
    summary_en = " ".join((data.summary_en or "").split())
    if has_control_characters(name_en) or len(name_en) > limits.PRODUCT_NAME:
        raise InvalidInput(
            _("Enter the English name as plain text, at most 200 characters."), field="name_en"
        )
    if has_control_characters(summary_en) or len(summary_en) > limits.LISTING_SUMMARY_EN:
        raise InvalidInput(
            _("Enter the English short description as plain text, at most 300 characters."),
            field="summary_en",
        )
    return name_en, summary_en


def _check_details(data: ListingInput) -> tuple[str, str]:
    name = " ".join((data.name or "").split())
    if not name or len(name) > limits.PRODUCT_NAME:
        raise InvalidInput(_("Enter the product's name (at most 200 characters)."), field="name")
    description = (data.description or "").strip()
    if len(description) > limits.LISTING_DESCRIPTION:
        raise InvalidInput(
            _("The description is too long (at most 10,000 characters)."), field="description"
        )
    if data.ocop_group not in {int(g) for g in OcopGroup}:
        raise InvalidInput(_("Choose the product's OCOP group."), field="ocop_group")
    return name, description


def _set_certificate(listing: Listing, cooperative_id: int, certificate_id: int | None) -> None:
    if not certificate_id:
        listing.certificate = None
        return
    cert = db.session.scalar(
        select(Certificate).where(
            Certificate.id == certificate_id, Certificate.cooperative_id == cooperative_id
        )
    )
    if cert is None:
        raise NotFound(_("There is no such certificate in your shop."))
    if cert.status is CertificateStatus.REVOKED:
        raise InvalidInput(
            _("This certificate was revoked; choose another one."), field="certificate"
        )
    taken = db.session.scalar(
        select(exists().where(Listing.certificate_id == cert.id, Listing.id != (listing.id or 0)))
    )
    if taken:
        raise CertificateInUse(
            _("This certificate already backs another product: one product per certificate."),
            field="certificate",
        )
    listing.certificate = cert


def _check_package(row: PackageInput, index: int) -> None:
    label = " ".join((row.label or "").split())
    where = {"field": "packages", "row": index}
    if not label or len(label) > limits.PACKAGE_LABEL:
        raise InvalidInput(_("Give each package a name, like “Hộp 1 kg”."), **where)
    if not isinstance(row.weight_grams, int) or not 0 < row.weight_grams <= MAX_WEIGHT_GRAMS:
        raise InvalidInput(_("The weight must be a whole number of grams above 0."), **where)
    if not isinstance(row.price, int) or not 0 < row.price <= MAX_PRICE:
        raise InvalidInput(_("The price must be a whole number of đồng above 0."), **where)
    if not isinstance(row.stock, int) or not 0 <= row.stock <= MAX_STOCK:
        raise InvalidInput(_("The stock must be a whole number, 0 or more."), **where)
    row.label = label
    row.sku = (row.sku or "").strip()[: limits.SKU] or None


def _set_packages(listing: Listing, rows: list[PackageInput]) -> None:
    """Make the listing's packages exactly `rows`, in that order."""
    skus = [row.sku.strip() for row in rows if row.sku and row.sku.strip()]
    if len(skus) != len(set(skus)):
        raise InvalidInput(_("Two packages have the same SKU."), field="packages")
    for index, row in enumerate(rows):
        _check_package(row, index)
    existing = {p.id: p for p in listing.packages} if listing.id else {}
    if existing:
        # Lock them: an order decrementing stock right now waits, then the guard below sees it.
        db.session.scalars(
            select(Package).where(Package.id.in_(existing)).order_by(Package.id).with_for_update()
        ).all()
    kept: list[Package] = []
    moved: list[str] = []
    for position, row in enumerate(rows):
        if row.id is not None:
            package = existing.get(row.id)
            if package is None:
                raise NotFound(_("There is no such package in this product."))
            if row.shown_stock is None or row.stock != row.shown_stock:
                if row.shown_stock is not None and package.stock != row.shown_stock:
                    moved.append(package.label)
                package.stock = row.stock
        else:
            package = Package(stock=row.stock)
        package.label = row.label
        package.weight_grams = row.weight_grams
        package.price = row.price
        package.preorder = bool(row.preorder)
        package.sku = row.sku
        package.position = position
        kept.append(package)
    if moved:
        raise StockChanged(
            _(
                "The stock of %(packages)s changed while you were editing (an order came in)."
                " Check the new figures and save again.",
                packages=", ".join(moved),
            ),
            field="packages",
        )
    listing.packages = kept


def create_listing(cooperative_id: int, actor: User, data: ListingInput) -> Listing:
    """A new listing, as a draft: nothing goes on sale until the seller publishes it."""
    require_member(actor, cooperative_id)
    name, description = _check_details(data)
    name_en, summary_en = _check_english(data)
    try:
        with unit_of_work(writer=True):
            listing = Listing(
                cooperative_id=cooperative_id,
                name=name,
                slug=_unique_slug(name),
                description=description,
                name_en=name_en,
                summary_en=summary_en,
                ocop_group=data.ocop_group,
                status=ListingStatus.DRAFT,
            )
            _set_origin(listing, data, actor)
            with db.session.no_autoflush:
                _set_certificate(listing, cooperative_id, data.certificate_id)
                _set_packages(listing, data.packages)
            db.session.add(listing)
    except IntegrityError:
        raise _certificate_in_use() from None
    return listing


def _certificate_in_use() -> CertificateInUse:
    return CertificateInUse(
        _("This certificate already backs another product: one product per certificate."),
        field="certificate",
    )


def update_listing(
    listing_id: int, cooperative_id: int, actor: User, data: ListingInput
) -> Listing:
    """Save the seller's edits: details, origin, certificate and the whole set of packages."""
    require_member(actor, cooperative_id)
    name, description = _check_details(data)
    name_en, summary_en = _check_english(data)
    try:
        with unit_of_work(writer=True):
            listing = get_listing(listing_id, cooperative_id, for_update=True)
            if listing.status is ListingStatus.ARCHIVED:
                raise InvalidTransition(_("An archived product cannot be edited."))
            if listing.status is ListingStatus.DRAFT and name != listing.name:
                # Never public yet, so no link to break: let the address follow the new name.
                listing.slug = _unique_slug(name, listing.id)
            listing.name = name
            listing.description = description
            listing.name_en = name_en
            listing.summary_en = summary_en
            listing.ocop_group = data.ocop_group
            with db.session.no_autoflush:
                _set_origin(listing, data, actor)
                _set_certificate(listing, cooperative_id, data.certificate_id)
                _set_packages(listing, data.packages)
    except IntegrityError:
        raise _certificate_in_use() from None
    return listing


def attach_certificate(listing: Listing, certificate: Certificate) -> None:
    """Have `listing` sold under `certificate` (same cooperative); adds, never commits."""
    _set_certificate(listing, listing.cooperative_id, certificate.id)


# --- status moves ---------------------------------------------------------------------------------


def _require_approved(cooperative_id: int) -> None:
    status = db.session.scalar(select(Cooperative.status).where(Cooperative.id == cooperative_id))
    if status is not CooperativeStatus.APPROVED:
        raise CooperativeNotApproved(
            _(
                "Your cooperative is not approved yet, so nothing can go on sale. You can keep"
                " preparing products as drafts meanwhile."
            )
        )


def _move(
    listing_id: int,
    cooperative_id: int,
    actor: User,
    allowed_from: tuple[ListingStatus, ...],
    to: ListingStatus,
    message: str,
) -> Listing:
    require_member(actor, cooperative_id)
    with unit_of_work(writer=True):
        listing = get_listing(listing_id, cooperative_id, for_update=True)
        if listing.status not in allowed_from:
            raise InvalidTransition(message)
        if to is ListingStatus.ACTIVE:
            _require_approved(cooperative_id)
        listing.status = to
    return listing


def publish_listing(listing_id: int, cooperative_id: int, actor: User) -> Listing:
    """Draft → on sale. It becomes public as soon as every rule holds (see the checklist)."""
    return _move(
        listing_id,
        cooperative_id,
        actor,
        (ListingStatus.DRAFT,),
        ListingStatus.ACTIVE,
        _("Only a draft can be put on sale."),
    )


def pause_listing(listing_id: int, cooperative_id: int, actor: User) -> Listing:
    return _move(
        listing_id,
        cooperative_id,
        actor,
        (ListingStatus.ACTIVE,),
        ListingStatus.PAUSED,
        _("Only a product on sale can be paused."),
    )


def resume_listing(listing_id: int, cooperative_id: int, actor: User) -> Listing:
    return _move(
        listing_id,
        cooperative_id,
        actor,
        (ListingStatus.PAUSED,),
        ListingStatus.ACTIVE,
        _("Only a paused product can be resumed."),
    )


def delete_listing(listing_id: int, cooperative_id: int, actor: User) -> str:
    """Delete a draft ("deleted"); anything that was ever on sale is archived instead
    ("archived"), since orders and carts may point at it."""
    require_member(actor, cooperative_id)
    with unit_of_work(writer=True) as unit:
        listing = get_listing(listing_id, cooperative_id, for_update=True)
        if listing.status is ListingStatus.DRAFT:
            for photo in listing.images:
                # After the commit: a failed commit must not leave a row whose files are gone.
                unit.on_commit(delete_listing_photo_files, photo.filename)
            db.session.delete(listing)
            return "deleted"
        if listing.status is not ListingStatus.ARCHIVED:
            listing.status = ListingStatus.ARCHIVED
            # Frees the certificate for a new listing of the same product (one per
            # certificate); orders keep their own copy of its number and stars.
            listing.certificate = None
    return "archived"


# --- photos --------------------------------------------------------------------------------------


def add_photos(
    listing_id: int, cooperative_id: int, actor: User, uploads: list[Upload]
) -> list[ListingImage]:
    """Add photos, each checked by its content. One bad file refuses the whole batch and
    nothing — no file, no row — is stored.

    Every header is checked before any file is read whole; each file's structure is then
    checked and the file kept as sent in the private storage, all before the unit of work
    opens (the unit deletes them if it fails). The unit records each photo "processing" with
    its job (domain/catalog/photos.py), which makes the sizes after the commit and shows the
    photo: inline before this returns by default, or on a queue worker."""
    require_member(actor, cooperative_id)
    uploads = [u for u in uploads if u.filename]
    if not uploads:
        raise InvalidUpload(_("Choose at least one photo."), field="file")
    if len(uploads) > limits.PHOTOS_PER_UPLOAD:
        raise InvalidUpload(
            _("Choose at most %(n)d photos at a time.", n=limits.PHOTOS_PER_UPLOAD),
            field="file",
        )
    _check_room_for_photos(get_listing(listing_id, cooperative_id), len(uploads))
    for upload in uploads:
        check_image(upload)  # by the header only: a bomb in the batch costs nothing

    stems: list[str] = []
    try:
        for upload in uploads:
            stems.append(store_original(check_photo(upload)))
        with unit_of_work(writer=True) as unit:
            for stem in stems:
                unit.on_rollback(delete_original, stem)
            listing = get_listing(listing_id, cooperative_id, for_update=True)
            _check_room_for_photos(listing, len(stems))  # another upload may have come first
            position = max((p.position for p in listing.images), default=-1) + 1
            added = []
            for stem in stems:
                photo = ListingImage(
                    filename=stem,
                    width=0,
                    height=0,
                    alt=listing.name[: limits.PRODUCT_NAME],
                    position=position,
                    status=PhotoStatus.PROCESSING,
                )
                position += 1
                listing.images.append(photo)
                added.append(photo)
            unit.session.flush()
            for photo in added:
                later_once(
                    unit, job_key(photo.filename), process_listing_photo, photo.id, photo.filename
                )
    except BaseException:
        # A bad photo later in the batch, or a unit that failed (even to open): no file stays.
        for stem in stems:
            delete_original(stem)
        raise
    return added


def _check_room_for_photos(listing: Listing, count: int) -> None:
    if listing.status is ListingStatus.ARCHIVED:
        raise InvalidTransition(_("An archived product cannot be edited."))
    if len(listing.images) + count > MAX_PHOTOS:
        raise InvalidUpload(
            _("A product can have at most %(n)d photos.", n=MAX_PHOTOS), field="file"
        )


def _renumber(photos: list[ListingImage]) -> None:
    for position, photo in enumerate(photos):
        photo.position = position


def set_cover_photo(listing_id: int, photo_id: int, cooperative_id: int, actor: User) -> None:
    """Make a photo the cover (position 0); the others keep their order after it."""
    require_member(actor, cooperative_id)
    with unit_of_work(writer=True):
        photo = get_photo(photo_id, listing_id, cooperative_id)
        photos = sorted(photo.listing.images, key=lambda p: (p.position, p.id))
        photos.remove(photo)
        _renumber([photo, *photos])


def move_photo(
    listing_id: int, photo_id: int, cooperative_id: int, actor: User, offset: int
) -> None:
    """Move a photo one place earlier (offset -1) or later (+1)."""
    require_member(actor, cooperative_id)
    if offset not in (-1, 1):
        raise InvalidInput(_("A photo moves one place at a time."))
    with unit_of_work(writer=True):
        photo = get_photo(photo_id, listing_id, cooperative_id)
        photos = sorted(photo.listing.images, key=lambda p: (p.position, p.id))
        index = photos.index(photo)
        target = index + offset
        if 0 <= target < len(photos):
            photos[index], photos[target] = photos[target], photos[index]
        _renumber(photos)


def delete_photo(listing_id: int, photo_id: int, cooperative_id: int, actor: User) -> None:
    require_member(actor, cooperative_id)
    with unit_of_work(writer=True) as unit:
        photo = get_photo(photo_id, listing_id, cooperative_id)
        listing = photo.listing
        listing.images.remove(photo)
        _renumber(sorted(listing.images, key=lambda p: (p.position, p.id)))
        # After the commit: a failed commit must not leave a row whose files are gone.
        unit.on_commit(delete_listing_photo_files, photo.filename)


# --- stock ----------------------------------------------------------------------------------------


def stock_packages(cooperative_id: int) -> list[Package]:
    """Every package of the cooperative's listings that are not archived, by product."""
    return list(
        db.session.scalars(
            select(Package)
            .join(Listing, Listing.id == Package.listing_id)
            .where(
                Listing.cooperative_id == cooperative_id,
                Listing.status != ListingStatus.ARCHIVED,
            )
            .options(joinedload(Package.listing))
            .order_by(Listing.name, Listing.id, Package.position, Package.id)
        )
    )


def low_stock_packages(cooperative_id: int, threshold: int = Package.LOW_STOCK) -> list[Package]:
    """Packages with `threshold` or fewer left, fewest first."""
    return list(
        db.session.scalars(
            select(Package)
            .join(Listing, Listing.id == Package.listing_id)
            .where(
                Listing.cooperative_id == cooperative_id,
                Listing.status != ListingStatus.ARCHIVED,
                Package.stock <= threshold,
            )
            .options(joinedload(Package.listing))
            .order_by(Package.stock, Listing.name, Package.position)
        )
    )


def update_stock(
    cooperative_id: int, actor: User, changes: dict[int, tuple[int, int | None]]
) -> int:
    """Set stock for many packages at once: {package_id: (stock shown, new stock)}.

    One transaction: every package must be the cooperative's (else NotFound and nothing
    changes), and a package whose stock moved since the form was shown (an order came in)
    refuses the whole save with StockChanged rather than overwrite the order's decrement.
    Returns how many packages changed.
    """
    require_member(actor, cooperative_id)
    for _shown, new in changes.values():
        if not isinstance(new, int) or not 0 <= new <= MAX_STOCK:
            raise InvalidInput(_("The stock must be a whole number, 0 or more."), field="stock")
    if not changes:
        return 0
    with unit_of_work(writer=True):
        return _update_stock(cooperative_id, changes)


def _update_stock(cooperative_id: int, changes: dict[int, tuple[int, int | None]]) -> int:
    # Locked in id order, as checkout locks them, so the two can never deadlock.
    packages = {
        p.id: p
        for p in db.session.scalars(
            select(Package)
            .join(Listing, Listing.id == Package.listing_id)
            .where(Package.id.in_(changes), Listing.cooperative_id == cooperative_id)
            .order_by(Package.id)
            .with_for_update(of=Package)
        )
    }
    if len(packages) != len(changes):
        raise NotFound(_("There is no such package in your shop."))
    moved = []
    changed = 0
    for package_id, (shown, new) in sorted(changes.items()):
        package = packages[package_id]
        if new == shown:
            continue  # untouched row: leave whatever orders did to it
        if package.stock != shown:
            moved.append(package_id)
            continue
        assert new is not None  # checked above
        package.stock = new
        changed += 1
    if moved:
        raise StockChanged(
            _(
                "Some stock changed while you were editing (orders came in). The new figures"
                " are shown; check them and save again."
            ),
            packages=moved,
        )
    return changed


# --- for the dashboard ----------------------------------------------------------------------------


def status_counts(cooperative_id: int) -> dict[str, int]:
    """Listings by status, plus "live": those public right now."""
    rows = db.session.execute(
        select(Listing.status, func.count())
        .where(Listing.cooperative_id == cooperative_id)
        .group_by(Listing.status)
    ).all()
    counts = {status.value: 0 for status in ListingStatus}
    counts.update({status.value: n for status, n in rows})
    counts["live"] = (
        db.session.scalar(
            select(func.count()).where(
                Listing.cooperative_id == cooperative_id, public_listing_clause()
            )
        )
        or 0
    )
    return counts
