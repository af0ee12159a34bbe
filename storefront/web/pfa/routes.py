"""PFA staff console: queues, review pages and decisions, expiries, audit log, programme numbers.

Every page needs PFA staff or an admin (the blueprint's before_request); every decision is a
POST with a CSRF token that calls one domain function and redirects back (PRG).
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from storefront.core import clock
from storefront.core.db import aware
from storefront.core.errors import DomainError
from storefront.core.formatting import format_number, format_vnd, ocop_group_label
from storefront.core.inputs import parse_int
from storefront.domain.certificates import decisions as certificate_decisions
from storefront.domain.certificates.submissions import certificate_scan as certificate_scan_file
from storefront.domain.console import dashboard as programme_dashboard
from storefront.domain.console import orders as console_orders
from storefront.domain.console import queues as services
from storefront.domain.cooperatives import decisions
from storefront.domain.decisions import has_conflict_of_interest
from storefront.domain.orders.cancellation import (
    can_cancel_part,
    cancel_order_as_staff,
    cancel_shipment_as_staff,
)
from storefront.domain.orders.lifecycle import can_cancel, order_progress, payment_state
from storefront.domain.payments import payos
from storefront.domain.payments import transfer as bank_transfers
from storefront.domain.payments.card import settle_cancelled_order
from storefront.models import CertificateStatus, CooperativeStatus
from storefront.web.pfa import bp, csvexport
from storefront.web.pfa.charts import column_chart, hbar_chart


@bp.before_request
@login_required
def require_pfa_staff():
    if not current_user.is_pfa_staff:
        abort(403)


@bp.app_template_filter("ucfirst")
def ucfirst(text) -> str:
    """ "đã xác minh" → "Đã xác minh": labels written for the middle of a sentence, as a heading."""
    text = str(text)
    return text[:1].upper() + text[1:]


# --- request parsing --------------------------------------------------------------------------


def _int_arg(name: str, allowed=None) -> int | None:
    value = parse_int(request.args.get(name, ""))
    if value is None or (allowed is not None and value not in allowed):
        return None
    return value


def _date_arg(name: str) -> date | None:
    try:
        value = date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
    # 9999-12-31 parses, but the query's "day after" and time-zone arithmetic overflow on it.
    return value if 1900 <= value.year <= 9000 else None


def _page() -> int:
    return max(1, _int_arg("page") or 1)


def _certificate_filters() -> services.CertificateFilters:
    try:
        status = CertificateStatus(request.args.get("status", CertificateStatus.SUBMITTED))
    except ValueError:
        status = CertificateStatus.SUBMITTED
    return services.CertificateFilters(
        status=status,
        province=_int_arg("province"),
        commune=_int_arg("commune") if _int_arg("province") is not None else None,
        group=_int_arg("group", range(1, 7)),
        stars=_int_arg("stars", (3, 4, 5)),
        q=request.args.get("q", "").strip()[:100],
    )


def _audit_filters() -> services.AuditFilters:
    action = request.args.get("action") or None
    return services.AuditFilters(
        actor=_int_arg("actor"),
        cooperative=_int_arg("cooperative"),
        action=action if action and len(action) <= 40 else None,
        date_from=_date_arg("from"),
        date_to=_date_arg("to"),
    )


def _decide(call, success_message, back: str, then: str | None = None):
    """Run one decision; a refused one (already decided, reason missing ...) is flashed.
    `success_message` is a string, or a function of the decision's result that says what
    happened. Done, the browser goes to `then` if given (the next file in the queue), else
    `back`."""
    try:
        result = call()
    except DomainError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "error")
    else:
        flash(success_message(result) if callable(success_message) else success_message, "success")
        if then:
            return redirect(then, code=303)
    return redirect(back, code=303)


def _confirmed() -> bool:
    """Whether this POST is the confirming one (the confirmation page's button), not the first
    step that asks for the confirmation."""
    return request.form.get("confirmed") == "1"


def _and_next(endpoint: str, after: int) -> str | None:
    """The "… and open the next file" button: where to go once the decision is made."""
    if request.form.get("then") != "next":
        return None
    return url_for(endpoint, after=after)


def _confirmation(certificate_id: int, decision: str):
    """The first step of a verification or revocation: what it would do, and the buttons to
    make it or go back. Nothing changes; a decision that would be refused is refused now."""
    back = url_for("pfa.certificate", certificate_id=certificate_id)
    try:
        preview = certificate_decisions.preview_decision(
            certificate_id, current_user, decision, request.form.get("reason", "")
        )
    except DomainError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "error")
        return redirect(back, code=303)
    return render_template(
        "pfa/confirm.html",
        preview=preview,
        action=request.path,
        back=back,
        listing_labels=_listing_state_labels(),
    )


# --- front page and queues --------------------------------------------------------------------


@bp.get("/")
def dashboard():
    return render_template(
        "pfa/dashboard.html",
        summary=services.console_summary(),
        certificates=services.certificate_queue(services.CertificateFilters()),
        cooperatives=services.cooperative_list(CooperativeStatus.APPLIED),
    )


@bp.get("/certificates")
def certificates():
    filters = _certificate_filters()
    return render_template(
        "pfa/certificates.html",
        filters=filters,
        page=services.certificate_queue(filters, _page()),
        options=services.certificate_filter_options(filters),
    )


@bp.get("/certificates/<int:certificate_id>")
def certificate(certificate_id: int):
    file = services.certificate_file(certificate_id)
    return render_template(
        "pfa/certificate.html",
        file=file,
        conflicted=has_conflict_of_interest(current_user, file.certificate.cooperative_id),
        # The two-person rule: whoever gave the first approval gets a note, not the button.
        gave_first_approval=file.certificate.first_approved_by_id == current_user.id,
    )


def _no_more_files(queue: str):
    flash(_("No more files waiting to be dealt with."), "info")
    return redirect(url_for(queue), code=303)


@bp.get("/certificates/next")
def next_certificate():
    """The oldest certificate awaiting verification this staff member may decide (after
    `after`, the one just decided): "decide and open the next" lands here. Reads only."""
    found = services.next_certificate(current_user, _int_arg("after"))
    if found is None:
        return _no_more_files("pfa.certificates")
    return redirect(url_for("pfa.certificate", certificate_id=found), code=303)


@bp.get("/certificates/<int:certificate_id>/scan")
def certificate_scan(certificate_id: int):
    scan = certificate_scan_file(certificate_id, current_user)
    extension = scan.path.name.rsplit(".", 1)[-1]
    response = send_file(
        scan.path,
        mimetype=scan.mimetype,
        as_attachment=services.scan_kind(scan.path.name) == "other"
        or request.args.get("download") == "1",
        download_name=f"certificate-{certificate_id}.{extension}",
        max_age=0,
    )
    # Uploaded bytes: never sniffed into something else, never cached by a shared proxy.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _verified_message(cert) -> str:
    if cert.status is CertificateStatus.VERIFIED:
        return _("Certificate verified. Its product can now go on sale.")
    return _(
        "First approval recorded. A second, different staff member must confirm it before "
        "the certificate is verified."
    )


@bp.post("/certificates/<int:certificate_id>/verify")
def verify_certificate(certificate_id: int):
    if not _confirmed():
        return _confirmation(certificate_id, "verify")
    back = url_for("pfa.certificate", certificate_id=certificate_id)
    return _decide(
        lambda: certificate_decisions.verify_certificate(certificate_id, current_user),
        _verified_message,
        back,
        _and_next("pfa.next_certificate", certificate_id),
    )


@bp.post("/certificates/<int:certificate_id>/confirm")
def confirm_verification(certificate_id: int):
    if not _confirmed():
        return _confirmation(certificate_id, "confirm")
    back = url_for("pfa.certificate", certificate_id=certificate_id)
    return _decide(
        lambda: certificate_decisions.confirm_verification(certificate_id, current_user),
        _("Second approval given: the certificate is verified. Its product can now go on sale."),
        back,
        _and_next("pfa.next_certificate", certificate_id),
    )


@bp.post("/certificates/<int:certificate_id>/reject")
def reject_certificate(certificate_id: int):
    back = url_for("pfa.certificate", certificate_id=certificate_id)
    return _decide(
        lambda: certificate_decisions.reject_certificate(
            certificate_id, current_user, request.form.get("reason", "")
        ),
        _("Certificate rejected. The cooperative has been told why."),
        back,
        _and_next("pfa.next_certificate", certificate_id),
    )


@bp.post("/certificates/<int:certificate_id>/revoke")
def revoke_certificate(certificate_id: int):
    if not _confirmed():
        return _confirmation(certificate_id, "revoke")
    back = url_for("pfa.certificate", certificate_id=certificate_id)
    return _decide(
        lambda: certificate_decisions.revoke_certificate(
            certificate_id, current_user, request.form.get("reason", "")
        ),
        _("Certificate revoked. Its product is no longer on sale."),
        back,
    )


@bp.post("/certificates/<int:certificate_id>/reinstate")
def propose_reinstatement(certificate_id: int):
    back = url_for("pfa.certificate", certificate_id=certificate_id)
    return _decide(
        lambda: certificate_decisions.propose_reinstatement(
            certificate_id, current_user, request.form.get("reason", "")
        ),
        _("Reinstatement proposed. A second, different staff member must confirm it."),
        back,
    )


@bp.post("/certificates/<int:certificate_id>/reinstate/confirm")
def confirm_reinstatement(certificate_id: int):
    back = url_for("pfa.certificate", certificate_id=certificate_id)
    return _decide(
        lambda: certificate_decisions.confirm_reinstatement(certificate_id, current_user),
        _(
            "Certificate reinstated. Its product is on sale again if nothing else hides it; the "
            "cooperative has been told."
        ),
        back,
    )


@bp.post("/certificates/<int:certificate_id>/reinstate/decline")
def decline_reinstatement(certificate_id: int):
    back = url_for("pfa.certificate", certificate_id=certificate_id)
    return _decide(
        lambda: certificate_decisions.decline_reinstatement(
            certificate_id, current_user, request.form.get("reason", "")
        ),
        _("Reinstatement turned down. The certificate stays revoked."),
        back,
    )


# --- cooperatives -----------------------------------------------------------------------------


@bp.get("/cooperatives")
def cooperatives():
    try:
        status = CooperativeStatus(request.args.get("status", CooperativeStatus.APPLIED))
    except ValueError:
        status = CooperativeStatus.APPLIED
    return render_template(
        "pfa/cooperatives.html",
        status=status,
        counts=services.cooperative_status_counts(),
        page=services.cooperative_list(status, _page()),
    )


@bp.get("/cooperatives/next")
def next_cooperative():
    """The oldest application this staff member may decide, after `after` (just decided)."""
    found = services.next_cooperative(current_user, _int_arg("after"))
    if found is None:
        return _no_more_files("pfa.cooperatives")
    return redirect(url_for("pfa.cooperative", cooperative_id=found), code=303)


@bp.get("/cooperatives/<int:cooperative_id>")
def cooperative(cooperative_id: int):
    return render_template(
        "pfa/cooperative.html",
        file=services.cooperative_file(cooperative_id),
        conflicted=has_conflict_of_interest(current_user, cooperative_id),
    )


_COOPERATIVE_ACTIONS = {
    "approve": (
        lambda cid, reason: decisions.approve_cooperative(cid, current_user),
        _l("Cooperative approved. It can now put products on sale."),
    ),
    "reject": (
        lambda cid, reason: decisions.reject_cooperative(cid, current_user, reason),
        _l("Application rejected. The cooperative has been told why."),
    ),
    "suspend": (
        lambda cid, reason: decisions.suspend_cooperative(cid, current_user, reason),
        _l("Cooperative suspended. Its products are no longer on sale."),
    ),
    "reinstate": (
        lambda cid, reason: decisions.reinstate_cooperative(cid, current_user, reason),
        _l("Suspension lifted. Its products with a valid certificate are on sale again."),
    ),
}


_QUEUE_ACTIONS = ("approve", "reject")


@bp.post("/cooperatives/<int:cooperative_id>/<any(approve, reject, suspend, reinstate):action>")
def decide_cooperative(cooperative_id: int, action: str):
    call, message = _COOPERATIVE_ACTIONS[action]
    # "… and open the next file": the applications queue (approve, reject) only.
    then = _and_next("pfa.next_cooperative", cooperative_id) if action in _QUEUE_ACTIONS else None
    return _decide(
        lambda: call(cooperative_id, request.form.get("reason", "")),
        str(message),
        url_for("pfa.cooperative", cooperative_id=cooperative_id),
        then,
    )


# --- orders: find one, cancel it or one cooperative's part -----------------------------------


@bp.get("/orders")
def orders():
    q = request.args.get("q", "").strip()[:100]
    owed = request.args.get("owed") == "1"
    return render_template(
        "pfa/orders.html",
        q=q,
        owed=owed,
        page=console_orders.order_list(q, refunds_owed=owed, page=_page()),
        progress=order_progress,
    )


@bp.get("/orders/<number>")
def order(number: str):
    found = console_orders.order_for_console(number)
    return render_template(
        "pfa/order.html",
        order=found,
        progress=order_progress(found),
        payment=payment_state(found),
        can_cancel=can_cancel(found),
        cancellable_parts={s.id for s in found.shipments if can_cancel_part(s)},
    )


def _settle(order_id: int) -> None:
    if settle_cancelled_order(order_id) == "refund_failed":
        flash(_("The refund could not be sent yet; it will be retried."), "warning")


@bp.post("/orders/<number>/cancel")
def cancel_order(number: str):
    back = url_for("pfa.order", number=number)
    try:
        reason = request.form.get("reason", "")
        cancelled = cancel_order_as_staff(number, reason, actor=current_user)
    except DomainError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "error")
        return redirect(back, code=303)
    if cancelled.settle_payment:
        _settle(cancelled.order_id)
    else:
        payos.settle_cancelled_order(cancelled.order_id)  # closes a payOS link, if any
    flash(_("Order cancelled. The buyer and the cooperatives have been told."), "success")
    return redirect(url_for("pfa.order", number=cancelled.number), code=303)


@bp.post("/orders/<number>/parts/<int:shipment_id>/cancel")
def cancel_order_part(number: str, shipment_id: int):
    back = url_for("pfa.order", number=number)
    try:
        cancelled = cancel_shipment_as_staff(
            shipment_id, request.form.get("reason", ""), actor=current_user, order_number=number
        )
    except DomainError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "error")
        return redirect(back, code=303)
    if cancelled.refund_due:
        _settle(cancelled.order_id)
    flash(_("Part cancelled. The buyer and the cooperative have been told."), "success")
    return redirect(url_for("pfa.order", number=cancelled.number), code=303)


# --- bank transfers that match no order, and refunds owed (admins) ---------------------------


@bp.get("/transfers")
def transfers():
    return render_template("pfa/transfers.html", queue=bank_transfers.transfer_queue())


def _refused(error: DomainError):
    if error.status == 404:
        raise error
    flash(str(error.message), "error")
    return redirect(url_for("pfa.transfers"), code=303)


@bp.post("/transfers/<int:notification_id>/assign")
def assign_transfer(notification_id: int):
    number = request.form.get("order_number", "").strip()[:40]
    try:
        if request.form.get("confirmed") != "1":
            preview = bank_transfers.preview_assignment(notification_id, number)
            return render_template(
                "pfa/transfer_confirm.html",
                step="assign",
                preview=preview,
                notification=preview.notification,
                number=number,
            )
        applied = bank_transfers.assign_transfer(notification_id, number, actor=current_user)
    except DomainError as error:
        return _refused(error)
    if applied.refund:
        flash(
            _(
                "Transfer applied to the order; %(excess)s over its balance is kept as a refund"
                " task.",
                excess=format_vnd(applied.refund),
            ),
            "success",
        )
    else:
        flash(_("Transfer applied to the order."), "success")
    return redirect(url_for("pfa.transfers"), code=303)


@bp.post("/transfers/<int:notification_id>/refund")
def refund_transfer(notification_id: int):
    note = request.form.get("note", "")
    try:
        notification = bank_transfers.unmatched_transfer(notification_id)
        if request.form.get("confirmed") != "1":
            if not note.strip():
                flash(_("Write a note: why is this transfer refunded, and to whom?"), "error")
                return redirect(url_for("pfa.transfers"), code=303)
            return render_template(
                "pfa/transfer_confirm.html", step="refund", notification=notification, note=note
            )
        bank_transfers.refund_transfer(notification_id, note, actor=current_user)
    except DomainError as error:
        return _refused(error)
    flash(_("Transfer marked for refund."), "success")
    return redirect(url_for("pfa.transfers"), code=303)


@bp.post("/refunds/<int:refund_id>/close")
def close_refund(refund_id: int):
    note = request.form.get("note", "")
    try:
        task = bank_transfers.open_refund(refund_id)
        if request.form.get("confirmed") != "1":
            if not note.strip():
                flash(_("Write a note: how was the money sent back (bank reference)?"), "error")
                return redirect(url_for("pfa.transfers"), code=303)
            return render_template(
                "pfa/transfer_confirm.html",
                step="close",
                task=task,
                notification=task.notification,
                note=note,
            )
        bank_transfers.close_refund(refund_id, note, actor=current_user)
    except DomainError as error:
        return _refused(error)
    flash(_("Refund recorded as sent."), "success")
    return redirect(url_for("pfa.transfers"), code=303)


# --- expiries and the audit log ---------------------------------------------------------------


@bp.get("/expiries")
def expiries():
    return render_template("pfa/expiries.html", expiries=services.expiries())


@bp.get("/audit")
def audit():
    filters = _audit_filters()
    return render_template(
        "pfa/audit.html",
        filters=filters,
        page=services.audit_log(filters, _page()),
        options=services.audit_filter_options(),
    )


@bp.get("/audit.csv")
def audit_csv():
    filters = _audit_filters()

    def rows():
        yield [
            "time",
            "staff",
            "staff_email",
            "action",
            "subject_type",
            "subject",
            "cooperative",
            "from_status",
            "to_status",
            "reason",
        ]
        for row in services.iter_audit_log(filters):
            event = row.event
            yield [
                _as_local(event.at).isoformat(timespec="seconds"),
                row.actor.name if row.actor else "",
                row.actor.email if row.actor else "",
                event.action,
                event.subject_type,
                row.subject_label,
                row.cooperative_name or "",
                event.from_status,
                event.to_status,
                event.reason,
            ]

    return csvexport.csv_response("ocop-audit-log.csv", rows())


def _as_local(moment):
    return aware(moment).astimezone(clock.zone())


@bp.app_template_filter("datetime_vn")
def datetime_vn(moment) -> str:
    """A stored (UTC) moment in Vietnam time: 25/11/2026 14:05 (vi) or Nov 25, 2026, 2:05 PM."""
    if moment is None:
        return ""
    fmt = "dd/MM/yyyy HH:mm" if str(get_locale()) == "vi" else "medium"
    return format_datetime(_as_local(moment), fmt)


# --- programme dashboard ----------------------------------------------------------------------


def _month_label(key: str) -> str:
    year, month = key.split("-")
    return f"{month}/{year}"


def _month_axis(keys: list[str]) -> dict:
    """Under each column its month ("1" … "12"); the year under each January, and under the
    first column when the next January is not close enough to say it."""
    januaries = [i for i, key in enumerate(keys) if key.endswith("-01")]

    def year(i: int, key: str) -> str:
        if key.endswith("-01") or (i == 0 and (not januaries or januaries[0] >= 3)):
            return key[:4]
        return ""

    return {
        "labels": [str(int(key[5:])) for key in keys],
        "sublabels": [year(i, key) for i, key in enumerate(keys)],
    }


@bp.get("/programme")
def programme():
    stats = programme_dashboard.programme_stats()
    pipeline_labels = {
        "submitted": _("Submitted"),
        "verified": _("Verified"),
        "rejected": _("Rejected"),
        "revoked": _("Revoked"),
    }
    listing_labels = _listing_state_labels()
    charts = {
        "provinces": hbar_chart([(p.name, p.count) for p in stats.by_province], text=format_number),
        "groups": hbar_chart(
            [
                (str(ocop_group_label(g)) if g else _("Not on sale yet"), n)
                for g, n in stats.by_group.items()
            ],
            text=format_number,
        ),
        "stars": hbar_chart(
            [(_("%(n)d stars", n=s), n) for s, n in stats.by_stars.items()], text=format_number
        ),
        "pipeline": column_chart(
            series=[(pipeline_labels[k], stats.pipeline[k]) for k in programme_dashboard.PIPELINE],
            **_month_axis(stats.past_months),
        ),
        "expiries": column_chart(
            series=[(_("Expiring"), stats.expiries)], **_month_axis(stats.future_months)
        ),
        "listings": hbar_chart(
            [(listing_labels[k], n) for k, n in stats.listings.items()], text=format_number
        ),
        "sales": hbar_chart([(s.name, s.revenue) for s in stats.sales], text=format_vnd),
    }
    return render_template(
        "pfa/programme.html",
        stats=stats,
        charts=charts,
        pipeline_labels=pipeline_labels,
        listing_labels=listing_labels,
        month_label=_month_label,
    )


def _listing_state_labels() -> dict[str, str]:
    return {
        "live": _("On sale"),
        "cooperative": _("Hidden: cooperative not approved"),
        "certificate": _("Hidden: certificate not valid"),
        "inactive": _("Hidden: draft or paused"),
        "sold_out": _("Hidden: sold out"),
    }


@bp.get("/programme.csv")
def programme_csv():
    stats = programme_dashboard.programme_stats()

    def rows():
        yield ["section", "label", "series", "value"]
        for p in stats.by_province:
            yield ["certified_by_province", p.name, "certificates", p.count]
        for commune, province, n in stats.by_commune:
            yield ["certified_by_commune", f"{commune}, {province}", "certificates", n]
        for group, n in stats.by_group.items():
            yield [
                "certified_by_group",
                str(ocop_group_label(group)) if group else "",
                f"group {group}" if group else "no listing",
                n,
            ]
        for stars, n in stats.by_stars.items():
            yield ["certified_by_stars", stars, "certificates", n]
        for key in programme_dashboard.PIPELINE:
            for month, n in zip(stats.past_months, stats.pipeline[key], strict=True):
                yield ["pipeline", month, key, n]
        for month, n in zip(stats.future_months, stats.expiries, strict=True):
            yield ["expiries", month, "verified certificates", n]
        for state, n in stats.listings.items():
            yield ["listings", state, "listings", n]
        for s in stats.sales:
            yield ["sales_by_province", s.name, "orders", s.orders]
            yield ["sales_by_province", s.name, "items", s.items]
            yield ["sales_by_province", s.name, "revenue_vnd", s.revenue]

    return csvexport.csv_response(f"ocop-programme-{stats.today.isoformat()}.csv", rows())
