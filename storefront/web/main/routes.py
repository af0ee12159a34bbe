"""Health check, uploaded media, and the communes of a province (JSON)."""

import re
from pathlib import Path

from flask import Response, abort, current_app, jsonify, request, send_from_directory
from sqlalchemy import text

from storefront.core.inputs import parse_int
from storefront.core.storage import LocalStorage, media_storage
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


# The public folders of the media storage (UPLOAD_DIR or the bucket, core/storage.py): listing
# photos, cooperative logos and buyers' review photos. Certificate scans are in neither
# (SCAN_DIR, core/files.py) and are served only by the seller workspace and the PFA console
# to those allowed to see them, never here.
PUBLIC_MEDIA = frozenset({"listings", "logos", "reviews"})
# Names are ours (a random stem, a size, an extension): one plain ASCII name, never a path. The
# check runs on the exact string that reaches the file system, so no spelling of "../" (encoded
# once or twice, backslash, full-width, overlong UTF-8, NUL) gets through to be decoded later.
MEDIA_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}\.[a-z0-9]{1,5}", re.ASCII)


@bp.get("/media/<path:filename>")
def media(filename: str):
    folder, _, name = filename.partition("/")
    if folder not in PUBLIC_MEDIA or not MEDIA_NAME.fullmatch(name):
        abort(404)
    storage = media_storage()
    if isinstance(storage, LocalStorage):
        # Served from that one folder (send_from_directory resolves with safe_join), so even a
        # name the check let through could not reach beyond it.
        return send_from_directory(
            Path(current_app.config["UPLOAD_DIR"]) / folder, name, max_age=86400
        )
    # A bucket (MEDIA_STORAGE=s3) without S3_PUBLIC_BASE_URL: pages link here, and the object
    # is streamed from the bucket. Only the public folders' keys are ever asked for.
    stored = storage.open(f"{folder}/{name}")
    if stored is None:
        abort(404)
    response = Response(stored.data, mimetype=stored.content_type)
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/communes")
def communes():
    """Today's communes of `?province=<code>` as JSON, for static/js/places.js: every
    province → commune select (address, checkout, cooperative, listing) fills from here.
    Public reference data, like the map."""
    places = communes_of(parse_int(request.args.get("province")))
    response = jsonify(communes=[{"code": p.code, "name": p.name} for p in places])
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response
