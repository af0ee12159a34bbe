"""Public verification pages: /verify (search), /verify/<number> and its QR code.

Certificate numbers contain "/" ("1234/QĐ-UBND"), hence the path converter; url_for
percent-encodes everything else (Vietnamese letters, spaces) and Werkzeug decodes it back.
"""

from __future__ import annotations

import io

import segno
from flask import Response, abort, redirect, render_template, request, url_for

from storefront.core import clock
from storefront.domain.certificates.labels import verification_url
from storefront.domain.certificates.verification import (
    SearchHit,
    Verdict,
    canonical_number,
    check_certificate,
    normalize_number,
    search_certificates,
)
from storefront.web.shop.verify import bp

QR_MAX_AGE = 86400


@bp.get("/")
def index():
    query = request.args.get("q", "").strip()[:200]
    hits: list[SearchHit] = []
    if query:
        # A number typed in full (or loosely: "qd" for "QĐ") goes straight to its page.
        found = check_certificate(query).certificate
        if found is not None:
            return redirect(url_for("verify.certificate", number=found.number))
        canonical, hits = search_certificates(query)
        if canonical is not None:
            return redirect(url_for("verify.certificate", number=canonical))
    return render_template(
        "verify/index.html", query=query, hits=hits, today=clock.today(), Verdict=Verdict
    )


@bp.get("/<path:number>")
def certificate(number: str):
    check = check_certificate(number)
    if check.verdict is Verdict.UNKNOWN:
        canonical = canonical_number(number)
        if canonical is not None and canonical != normalize_number(number):
            return redirect(url_for("verify.certificate", number=canonical), code=301)
    cert = check.certificate
    if cert is None:
        response = render_template("verify/not_found.html", check=check, Verdict=Verdict)
        return response, 404, {"X-Robots-Tag": "noindex"}
    return render_template(
        "verify/certificate.html",
        check=check,
        cert=cert,
        Verdict=Verdict,
        qr_target=verification_url(cert.number),
    )


def _qr(number: str):
    cert = check_certificate(number).certificate
    if cert is None:
        abort(404)
    url = verification_url(cert.number)
    return segno.make(url, error="m", micro=False)


@bp.get("/<path:number>/qr.svg")
def qr_svg(number: str):
    buffer = io.BytesIO()
    _qr(number).save(
        buffer,
        kind="svg",
        scale=4,
        border=4,
        xmldecl=False,
        svgns=True,
        title=number,
        svgclass="qr",
        lineclass=None,
    )
    return _image(buffer.getvalue(), "image/svg+xml")


@bp.get("/<path:number>/qr.png")
def qr_png(number: str):
    buffer = io.BytesIO()
    _qr(number).save(buffer, kind="png", scale=10, border=4)
    return _image(buffer.getvalue(), "image/png")


def _image(data: bytes, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Cache-Control"] = f"public, max-age={QR_MAX_AGE}"
    return response
