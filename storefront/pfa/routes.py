"""PFA staff console (the PFA issue fills it in)."""

from flask import abort, render_template
from flask_login import current_user, login_required

from . import bp


@bp.before_request
@login_required
def require_pfa_staff():
    if not current_user.is_pfa_staff:
        abort(403)


@bp.get("/")
def dashboard():
    return render_template("pfa/dashboard.html")
