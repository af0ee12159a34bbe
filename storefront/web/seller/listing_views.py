"""The cooperative's listings: list, create, edit, put on sale, pause, resume, delete, photos."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront.core.errors import (
    CertificateInUse,
    CooperativeNotApproved,
    InvalidInput,
    InvalidTransition,
    NotFound,
    StockChanged,
)
from storefront.core.files import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS
from storefront.core.formatting import format_number
from storefront.core.inputs import parse_int
from storefront.core.markup import render_markdown
from storefront.domain.catalog.checklist import build_checklist
from storefront.domain.catalog.listings import (
    MAX_PHOTOS,
    add_photos,
    certificate_choices,
    create_listing,
    delete_listing,
    delete_photo,
    get_listing,
    listings_of,
    move_photo,
    pause_listing,
    public_ids,
    publish_listing,
    resume_listing,
    set_cover_photo,
    update_listing,
)
from storefront.domain.locations import (
    communes_of,
    legacy_choices,
    province_of_commune,
    provinces,
)
from storefront.web.seller import bp
from storefront.web.seller.context import (
    apply_domain_error,
    cooperative_required,
    flash_done,
    uploads_of,
)
from storefront.web.seller.forms import BLANK_PACKAGE_ROWS, PLACEHOLDER, ListingForm, PhotoForm


@bp.get("/listings")
@cooperative_required
def listings():
    archived = request.args.get("archived") == "1"
    items = listings_of(g.cooperative.id, archived=archived)
    return render_template(
        "seller/listings.html",
        listings=items,
        live=public_ids(g.cooperative.id),
        checklists={item.id: build_checklist(item) for item in items},
        archived=archived,
    )


def _listing_form(listing=None) -> ListingForm:
    """The form, filled from the request on POST, else from `listing` (or a new draft's
    defaults: the cooperative's own commune as origin, two empty package rows)."""
    if request.method == "POST":
        form = ListingForm()
    elif listing is not None:
        form = ListingForm(
            data={
                "name": listing.name,
                "ocop_group": listing.ocop_group,
                "description": listing.description,
                "name_en": listing.name_en,
                "summary_en": listing.summary_en,
                "province": province_of_commune(listing.origin_commune.code),
                "commune": listing.origin_commune.code,
                "legacy_commune": listing.origin_legacy_commune.code
                if listing.origin_legacy_commune
                else PLACEHOLDER,
                "origin_recorded": listing.origin_recorded,
                "legacy_exception": listing.origin_legacy_exception,
                "certificate": listing.certificate_id or PLACEHOLDER,
                "packages": [
                    {
                        "id": str(p.id),
                        "shown_stock": str(p.stock),
                        "label": p.label,
                        "weight": str(p.weight_grams),
                        "price": format_number(p.price),
                        "stock": str(p.stock),
                        "sku": p.sku or "",
                        "preorder": p.preorder,
                    }
                    for p in listing.packages
                ],
            }
        )
        form.packages.append_entry()
    else:
        commune = g.cooperative.commune
        form = ListingForm(
            data={
                "province": province_of_commune(commune.code),
                "commune": commune.code,
                "ocop_group": PLACEHOLDER,
                "legacy_commune": PLACEHOLDER,
                "certificate": PLACEHOLDER,
            }
        )
        for _row in range(BLANK_PACKAGE_ROWS):
            form.packages.append_entry()
    form.set_places(provinces(), communes_of(form.province.data))
    form.set_legacy(*legacy_choices(form.commune.data))
    form.set_certificates(
        certificate_choices(g.cooperative.id, listing.id if listing is not None else None)
    )
    # The domain decides about the certificate id sent, so another cooperative's is a 404.
    form.certificate.validate_choice = False
    return form


def _save_listing(form: ListingForm, listing=None):
    """Validate and save; returns the listing, or None with the errors put on the form."""
    if form.add_package.data:
        form.packages.append_entry()
        return None
    if form.show_communes.data or not form.validate():
        return None
    data, rows = form.listing_input()
    try:
        if listing is None:
            return create_listing(g.cooperative.id, current_user, data)
        return update_listing(listing.id, g.cooperative.id, current_user, data)
    except NotFound:
        raise
    except (InvalidInput, StockChanged, InvalidTransition, CertificateInUse) as error:
        row = error.details.get("row")
        if error.details.get("field") == "packages":
            if row is not None and row < len(rows):
                entry = form.packages.entries[rows[row]].form
                entry.label.errors = [*entry.label.errors, error.message]
            else:
                form.package_errors.append(error.message)
        elif error.details.get("field") == "origin_commune":
            form.commune.errors = [*form.commune.errors, error.message]
        elif error.details.get("field") == "origin_legacy_commune":
            form.legacy_commune.errors = [*form.legacy_commune.errors, error.message]
        else:
            apply_domain_error(form, error)
        if isinstance(error, StockChanged) and listing is not None:
            # Show the stock as it is now, so that saving again is a deliberate choice.
            current = {p.id: p.stock for p in get_listing(listing.id, g.cooperative.id).packages}
            for entry in form.packages.entries:
                package_id = parse_int(entry.form.id.data)
                if package_id is not None and package_id in current:
                    entry.form.shown_stock.data = str(current[package_id])
                    entry.form.stock.data = str(current[package_id])
        return None


@bp.route("/listings/new", methods=["GET", "POST"])
@cooperative_required
def new_listing():
    form = _listing_form()
    form.package_errors = []
    if request.method == "POST":
        listing = _save_listing(form)
        if listing is not None:
            flash_done(_("The product is saved as a draft. Now add photos."))
            return redirect(url_for("seller.listing", listing_id=listing.id))
    return _form_page(form, None)


def _form_page(form: ListingForm, listing):
    # A POST that comes back here was refused, unless it only asked for another package row
    # or the communes of a province.
    refused = request.method == "POST" and not (form.add_package.data or form.show_communes.data)
    return render_template("seller/listing_form.html", form=form, listing=listing), (
        400 if refused else 200
    )


def _listing_page(item, photo_error: str | None = None, status: int = 200):
    return render_template(
        "seller/listing.html",
        listing=item,
        checklist=build_checklist(item),
        description=render_markdown(item.description),
        photo_form=PhotoForm(),
        photo_error=photo_error,
        max_photos=MAX_PHOTOS,
        max_mb=MAX_IMAGE_BYTES // (1024 * 1024),
        max_mp=MAX_IMAGE_PIXELS // 1_000_000,
    ), status


@bp.get("/listings/<int:listing_id>")
@cooperative_required
def listing(listing_id: int):
    return _listing_page(get_listing(listing_id, g.cooperative.id))


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@cooperative_required
def edit_listing(listing_id: int):
    item = get_listing(listing_id, g.cooperative.id)
    form = _listing_form(item)
    form.package_errors = []
    if request.method == "POST":
        saved = _save_listing(form, item)
        if saved is not None:
            flash_done(_("Your changes are saved."))
            return redirect(url_for("seller.listing", listing_id=saved.id))
    return _form_page(form, item)


def _status_move(move, listing_id: int, done_message: str):
    try:
        move(listing_id, g.cooperative.id, current_user)
    except (InvalidTransition, CooperativeNotApproved) as error:
        flash(error.message, "error")
    else:
        flash_done(done_message)
    return redirect(url_for("seller.listing", listing_id=listing_id))


@bp.post("/listings/<int:listing_id>/publish", endpoint="publish_listing")
@cooperative_required
def publish_listing_view(listing_id: int):
    return _status_move(
        publish_listing,
        listing_id,
        _("The product is on sale: it appears in the shop as soon as every step is done."),
    )


@bp.post("/listings/<int:listing_id>/pause", endpoint="pause_listing")
@cooperative_required
def pause_listing_view(listing_id: int):
    return _status_move(pause_listing, listing_id, _("The product is paused."))


@bp.post("/listings/<int:listing_id>/resume", endpoint="resume_listing")
@cooperative_required
def resume_listing_view(listing_id: int):
    return _status_move(resume_listing, listing_id, _("Sales resumed."))


@bp.post("/listings/<int:listing_id>/delete", endpoint="delete_listing")
@cooperative_required
def delete_listing_view(listing_id: int):
    outcome = delete_listing(listing_id, g.cooperative.id, current_user)
    if outcome == "deleted":
        flash_done(_("The draft was deleted."))
    else:
        flash_done(_("The product was archived: it is no longer sold, and orders keep it."))
    return redirect(url_for("seller.listings"))


# --- photos ---------------------------------------------------------------------------------------


@bp.post("/listings/<int:listing_id>/photos")
@cooperative_required
def upload_photos(listing_id: int):
    get_listing(listing_id, g.cooperative.id)  # 404 first: never say more about another's id
    form = PhotoForm()
    try:
        added = add_photos(listing_id, g.cooperative.id, current_user, uploads_of(form.photos.data))
    except (InvalidInput, InvalidTransition) as error:
        # Nothing was stored; say why beside the upload field.
        return _listing_page(get_listing(listing_id, g.cooperative.id), error.message, 400)
    flash_done(
        _("%(num)d photo added.", num=len(added))
        if len(added) == 1
        else _("%(num)d photos added.", num=len(added))
    )
    return redirect(url_for("seller.listing", listing_id=listing_id) + "#photos")


@bp.post("/listings/<int:listing_id>/photos/<int:photo_id>/cover")
@cooperative_required
def cover_photo(listing_id: int, photo_id: int):
    set_cover_photo(listing_id, photo_id, g.cooperative.id, current_user)
    flash_done(_("The cover photo is changed."))
    return redirect(url_for("seller.listing", listing_id=listing_id) + "#photos")


@bp.post("/listings/<int:listing_id>/photos/<int:photo_id>/move", endpoint="move_photo")
@cooperative_required
def move_photo_view(listing_id: int, photo_id: int):
    offset = -1 if request.form.get("direction") == "earlier" else 1
    move_photo(listing_id, photo_id, g.cooperative.id, current_user, offset)
    return redirect(url_for("seller.listing", listing_id=listing_id) + "#photos")


@bp.post("/listings/<int:listing_id>/photos/<int:photo_id>/delete", endpoint="delete_photo")
@cooperative_required
def delete_photo_view(listing_id: int, photo_id: int):
    delete_photo(listing_id, photo_id, g.cooperative.id, current_user)
    flash_done(_("The photo was deleted."))
    return redirect(url_for("seller.listing", listing_id=listing_id) + "#photos")
