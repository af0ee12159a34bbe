"""Catalog pages: home, product list and search, product, cooperative, origins, sitemap."""

from __future__ import annotations

from flask import Response, current_app, render_template, request, url_for
from flask_login import current_user

from . import bp
from .params import parse_catalog_args
from .services import (
    cooperative_for_view,
    count_public_listings,
    listing_for_view,
    newest_public_listings,
    origin_tree,
    related_listings,
    sitemap_entries,
)


@bp.get("/")
def home():
    return render_template(
        "catalog/home.html",
        listings=newest_public_listings(12),
        public_count=count_public_listings(),
    )


@bp.get("/products")
def products():
    return _catalog_page("catalog.products")


@bp.get("/search")
def search():
    return _catalog_page("catalog.search")


def _catalog_page(endpoint: str):
    from .browse import browse

    params = parse_catalog_args(request.args)
    page = browse(params, per_page=current_app.config["CATALOG_PAGE_SIZE"])
    return render_template("catalog/products.html", params=params, page=page, endpoint=endpoint)


@bp.get("/products/<slug>")
def product(slug: str):
    view = listing_for_view(slug, current_user)
    related = [] if view.preview else related_listings(view.listing)
    return render_template(
        "catalog/product.html", listing=view.listing, preview=view.preview, related=related
    )


@bp.get("/cooperatives/<slug>")
def cooperative(slug: str):
    coop, listings = cooperative_for_view(slug, current_user)
    return render_template("catalog/cooperative.html", cooperative=coop, listings=listings)


@bp.get("/origins")
def origins():
    return render_template("catalog/origins.html", provinces=origin_tree())


@bp.get("/sitemap.xml")
def sitemap():
    listings, cooperatives = sitemap_entries()
    xml = render_template("catalog/sitemap.xml", listings=listings, cooperatives=cooperatives)
    return Response(xml, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    lines = [
        "User-agent: *",
        "Disallow: /cart",
        "Disallow: /checkout",
        "Disallow: /account",
        "Disallow: /seller",
        "Disallow: /pfa",
        f"Sitemap: {url_for('catalog.sitemap', _external=True)}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


@bp.get("/verify/<path:number>")
def verify(number: str):
    from flask import abort

    abort(404)  # the PFA issue builds public certificate verification
