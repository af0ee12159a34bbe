"""Health check, uploaded media, and the communes of a province (JSON)."""

from flask import abort, current_app, jsonify, request, send_from_directory
from sqlalchemy import text

from storefront.domain.locations import communes_of
from storefront.extensions import db
from storefront.web.main import bp


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        current_app.logger.error("health check failed: %s", exc)
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


# Only these folders of UPLOAD_DIR are public; certificate scans (certificates/) are served
# by the seller workspace and the PFA console to those allowed to see them, never here.
PUBLIC_MEDIA = ("listings/", "logos/")


@bp.get("/media/<path:filename>")
def media(filename: str):
    if not filename.startswith(PUBLIC_MEDIA):
        abort(404)
    # send_from_directory refuses paths that escape the folder.
    return send_from_directory(current_app.config["UPLOAD_DIR"], filename, max_age=86400)


@bp.get("/communes")
def communes():
    """Today's communes of `?province=<code>` as JSON, for static/js/places.js: every
    province → commune select (address, checkout, cooperative, listing) fills from here.
    Public reference data, like the map."""
    places = communes_of(request.args.get("province", type=int))
    response = jsonify(communes=[{"code": p.code, "name": p.name} for p in places])
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response
