"""Stock for every package in one table, saved in one go, with the packages running low."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront.core.errors import InvalidInput, StockChanged
from storefront.core.inputs import parse_int
from storefront.domain.catalog.listings import (
    low_stock_packages,
    stock_packages,
    update_stock,
)
from storefront.models import Package
from storefront.web.seller import bp
from storefront.web.seller.context import cooperative_required, flash_done
from storefront.web.seller.forms import StockForm


def _fill(form: StockForm, packages) -> None:
    """One row per package, showing its stock as it is now."""
    while form.rows.entries:
        form.rows.pop_entry()
    for package in packages:
        form.rows.append_entry(
            {
                "package_id": str(package.id),
                "shown": str(package.stock),
                "stock": str(package.stock),
            }
        )


@bp.route("/stock", methods=["GET", "POST"])
@cooperative_required
def stock():
    packages = stock_packages(g.cooperative.id)
    form = StockForm()
    status = 200
    if request.method == "GET":
        _fill(form, packages)
    elif form.validate_on_submit():
        try:
            changed = update_stock(g.cooperative.id, current_user, form.changes())
        except StockChanged as error:
            flash(error.message, "error")
            packages = stock_packages(g.cooperative.id)
            # Rows the seller did not touch take the new figures; the moved ones show the new
            # figure too, so saving again is a deliberate choice.
            _fill(form, packages)
            status = 409
        except InvalidInput as error:
            flash(error.message, "error")
            status = 400
        else:
            if changed:
                flash_done(_("Stock saved for %(num)d packages.", num=changed))
            else:
                flash_done(_("Nothing to save: no stock was changed."))
            return redirect(url_for("seller.stock"))
    else:
        status = 400
    by_id = {p.id: p for p in packages}
    rows = [
        (entry.form, by_id.get(package_id))
        for entry in form.rows.entries
        if (package_id := parse_int(entry.form.package_id.data)) is not None
    ]
    return render_template(
        "seller/stock.html",
        form=form,
        rows=[(row, package) for row, package in rows if package is not None],
        low=low_stock_packages(g.cooperative.id),
        threshold=Package.LOW_STOCK,
    ), status
