"""The cooperative's OCOP certificates: list, submit, correct or resend, and the private scan."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront.core.errors import InvalidInput, InvalidTransition, NotFound
from storefront.core.files import MAX_IMAGE_BYTES, MAX_SCAN_BYTES
from storefront.core.inputs import parse_int
from storefront.domain.catalog.listings import get_listing
from storefront.domain.certificates.submissions import (
    certificates_of,
    get_certificate,
    scan_file,
    submit_certificate,
    update_certificate,
)
from storefront.models import CertificateStatus
from storefront.web.seller import bp
from storefront.web.seller.context import (
    apply_domain_error,
    cooperative_required,
    flash_done,
    memberships,
    upload_of,
)
from storefront.web.seller.forms import CertificateForm

LIMITS = {"pdf_mb": MAX_SCAN_BYTES // (1024 * 1024), "image_mb": MAX_IMAGE_BYTES // (1024 * 1024)}


@bp.get("/certificates")
@cooperative_required
def certificates():
    return render_template(
        "seller/certificates.html", certificates=certificates_of(g.cooperative.id)
    )


def _listing_arg() -> int | None:
    raw = request.values.get("listing") or request.form.get("listing_id") or ""
    return parse_int(raw)


def _save_error(form, error) -> None:
    field = error.details.get("field")
    if error.code == "invalid_upload":
        field = "scan"
    apply_domain_error(form, error, field)


@bp.route("/certificates/new", methods=["GET", "POST"])
@cooperative_required
def new_certificate():
    listing_id = _listing_arg()
    # Offered from a listing's checklist: the new certificate will back that listing.
    for_listing = get_listing(listing_id, g.cooperative.id) if listing_id else None
    form = CertificateForm()
    if request.method == "GET":
        form.listing_id.data = str(listing_id or "")
        if for_listing is not None:
            form.product_name.data = for_listing.name
    if form.validate_on_submit():
        try:
            cert = submit_certificate(
                g.cooperative.id,
                current_user,
                form.certificate_input(),
                upload_of(form.scan.data),
                listing_id=for_listing.id if for_listing else None,
            )
        except NotFound:
            raise
        except InvalidInput as error:
            _save_error(form, error)
        else:
            flash_done(
                _(
                    "The certificate is sent. The Farmers' Association will check it against the"
                    " official decision."
                )
            )
            if for_listing is not None:
                return redirect(url_for("seller.listing", listing_id=for_listing.id))
            return redirect(url_for("seller.certificate", certificate_id=cert.id))
    return render_template(
        "seller/certificate_form.html",
        form=form,
        certificate=None,
        for_listing=for_listing,
        limits=LIMITS,
    ), (400 if form.errors else 200)


@bp.get("/certificates/<int:certificate_id>")
@cooperative_required
def certificate(certificate_id: int):
    cert = get_certificate(certificate_id, g.cooperative.id)
    return render_template("seller/certificate.html", certificate=cert)


@bp.route("/certificates/<int:certificate_id>/edit", methods=["GET", "POST"])
@cooperative_required
def edit_certificate(certificate_id: int):
    cert = get_certificate(certificate_id, g.cooperative.id)
    if cert.status is CertificateStatus.REVOKED:
        return redirect(url_for("seller.certificate", certificate_id=cert.id))
    form = CertificateForm(obj=cert if request.method == "GET" else None)
    if form.validate_on_submit():
        was = cert.status
        try:
            cert = update_certificate(
                cert.id,
                g.cooperative.id,
                current_user,
                form.certificate_input(),
                upload_of(form.scan.data),
            )
        except NotFound:
            raise
        except (InvalidInput, InvalidTransition) as error:
            _save_error(form, error)
        else:
            if (
                was is not CertificateStatus.SUBMITTED
                and cert.status is CertificateStatus.SUBMITTED
            ):
                flash_done(
                    _(
                        "The certificate is sent again for verification. Products sold under it"
                        " wait until the Farmers' Association verifies it."
                    )
                )
            else:
                flash_done(_("Your changes are saved."))
            return redirect(url_for("seller.certificate", certificate_id=cert.id))
    return render_template(
        "seller/certificate_form.html",
        form=form,
        certificate=cert,
        for_listing=None,
        limits=LIMITS,
    ), (400 if form.errors else 200)


@bp.get("/certificates/<int:certificate_id>/scan")
def certificate_scan(certificate_id: int):
    """The scan, for the chosen cooperative's members only (PFA staff see it in their console).

    Someone who belongs to no cooperative gets 404, as for an id that does not exist, rather
    than the way to apply."""
    if not memberships():
        abort(404)
    return _chosen_cooperative_scan(certificate_id)


@cooperative_required
def _chosen_cooperative_scan(certificate_id: int):
    scan = scan_file(get_certificate(certificate_id, g.cooperative.id))
    is_pdf = scan.mimetype == "application/pdf"
    response = send_file(
        scan.path,
        mimetype=scan.mimetype,
        download_name=scan.download_name,
        # A PDF is kept as sent (it may carry scripts): download it, never render it here.
        as_attachment=is_pdf,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    return response
