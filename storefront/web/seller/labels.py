"""The print-ready label of a verified certificate: QR code to its public verification page,
stars, number and product name, for the cooperative's packaging."""

from __future__ import annotations

from urllib.parse import unquote

import segno
from flask import render_template, request
from flask_login import current_user
from markupsafe import Markup

from storefront.domain.certificates.labels import certificate_for_label, verification_url
from storefront.web.seller import bp


@bp.get("/certificates/<int:certificate_id>/label")
def certificate_label(certificate_id: int):
    cert = certificate_for_label(certificate_id, current_user)
    url = verification_url(cert.number)
    qr = segno.make(url, error="m", micro=False)
    # Inline SVG: crisp at any print size, and no second request.
    # Two modules of quiet zone in the SVG plus the label's padding make the four a scanner
    # needs.
    svg = Markup(
        qr.svg_inline(scale=1, border=2, omitsize=True, svgclass="label__qr", lineclass=None)
    )
    sheet = request.args.get("sheet") == "1"  # an A4 sheet of 12 instead of one label
    return render_template(
        "labels/certificate.html",
        cert=cert,
        url=url,
        display_url=unquote(url),
        qr_svg=svg,
        count=12 if sheet else 1,
        sheet=sheet,
    )
