"""Seller workspace (the seller issue fills it in)."""

from flask import render_template
from flask_login import login_required

from . import bp


@bp.get("/")
@login_required
def dashboard():
    return render_template("seller/dashboard.html")
