"""Catalog pages: home, product list and search, product, cooperative, origins, sitemap."""

from __future__ import annotations

from flask import Response, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from ..visibility import shop_today

from . import bp
from .params import parse_catalog_args
from .services import (
    cooperative_for_view,
    listing_for_view,
    origin_tree,
    related_cards,
    sitemap_entries,
)


@bp.get("/")
def home():
    from .browse import newest_cards

    cards, total = newest_cards(12)
    return render_template("catalog/home.html", listings=cards, public_count=total)


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
    # The page body is a function of these alone; the catalog version is part of the cache.
    fragment_key = (
        endpoint,
        str(get_locale()),
        tuple(sorted((k, v) for k, v in request.args.items(multi=True) if k != "lang")),
        shop_today(),
        page.total,
        tuple(card.listing_id for card in page.cards),
    )
    return render_template(
        "catalog/products.html",
        params=params,
        page=page,
        endpoint=endpoint,
        fragment_key=fragment_key,
    )


@bp.get("/products/<slug>")
def product(slug: str):
    view = listing_for_view(slug, current_user)
    related = [] if view.preview else related_cards(view.listing)
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

