"""Cart pages (the checkout issue fills them in)."""

from flask import render_template

from . import bp


@bp.get("/")
def show():
    return render_template("cart/show.html")
