"""Catalog pages."""

from flask import render_template

from . import bp
from .services import count_public_listings, newest_public_listings


@bp.get("/")
def home():
    return render_template(
        "catalog/home.html",
        listings=newest_public_listings(12),
        public_count=count_public_listings(),
    )
