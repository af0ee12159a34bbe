"""Catalog pages."""

from flask import abort, render_template

from . import bp
from .services import count_public_listings, newest_public_listings


@bp.get("/")
def home():
    return render_template(
        "catalog/home.html",
        listings=newest_public_listings(12),
        public_count=count_public_listings(),
    )


# The catalog issue fills in the routes below; they exist now so that links resolve.
@bp.get("/products")
def products():
    return render_template("catalog/home.html", listings=newest_public_listings(24), public_count=0)


@bp.get("/search")
def search():
    return render_template("catalog/home.html", listings=[], public_count=0)


@bp.get("/products/<slug>")
def product(slug: str):
    abort(404)


@bp.get("/cooperatives/<slug>")
def cooperative(slug: str):
    abort(404)


@bp.get("/origins")
def origins():
    return render_template("catalog/home.html", listings=[], public_count=0)


@bp.get("/verify/<path:number>")
def verify(number: str):
    abort(404)
