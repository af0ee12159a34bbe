"""Checkout pages (the checkout issue fills them in)."""

from flask import redirect, url_for

from . import bp


@bp.get("/")
def start():
    return redirect(url_for("cart.show"))
