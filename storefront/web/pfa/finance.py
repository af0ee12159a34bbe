"""Money in the console: cooperatives' payout accounts waiting for verification (PFA staff and
admins: checking that an account is the cooperative's own is the same check as its
registration), and, for admins only, payout batches (preview, create, the bank's CSV, mark
paid) and the platform's summary. Every state change is a POST with a CSRF token; verifying an
account, creating a batch and marking payouts paid show a confirmation step first (nothing
changes until it is confirmed), as certificate decisions do."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from storefront.core import vn_banks
from storefront.core.errors import DomainError
from storefront.core.inputs import DB_INT_MAX, parse_int
from storefront.core.text import fold_diacritics
from storefront.domain.decisions import has_conflict_of_interest
from storefront.domain.ledger import monthly, payouts, queries
from storefront.models import PayoutStatus
from storefront.web.pfa import bp, csvexport

_SPACES_AND_UNIT = re.compile(r"[\s\u00a0\u202f]+|(₫|vnđ|vnd|đồng|đ)$", re.IGNORECASE)
# Plain digits, or thousands in groups of three ("200.000", "200,000"): "1,5" is no đồng.
_WHOLE_DONG = re.compile(r"[0-9]+|[0-9]{1,3}(\.[0-9]{3})+|[0-9]{1,3}(,[0-9]{3})+")


def _actor():
    return current_user._get_current_object()


def _confirmed() -> bool:
    return request.form.get("confirmed") == "1"


def _run(call, message, back: str):
    """One money action; a refused one (already paid, more than the balance...) is flashed and
    changes nothing. 404s stay 404s."""
    try:
        result = call()
    except DomainError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "error")
        return redirect(back, code=303)
    flash(message(result) if callable(message) else message, "success")
    return redirect(back, code=303)


def _threshold(raw: str | None) -> int | None:
    """A threshold in đồng as people type it ("200.000", "200000 ₫"); None if it is not one."""
    if raw is None:
        return None
    compact = _SPACES_AND_UNIT.sub("", raw)
    if not _WHOLE_DONG.fullmatch(compact):
        return None
    return parse_int(compact.replace(".", "").replace(",", ""), high=DB_INT_MAX)


# --- payout accounts (PFA staff and admins) ---------------------------------------------------


def _holder_matches(account) -> bool:
    """Whether the holder is the cooperative's legal name as a bank would print it."""
    return account.holder_name == payouts.normalise_holder_name(account.cooperative.legal_name)


@bp.get("/finance/accounts")
def payout_accounts():
    accounts = payouts.payout_accounts_to_verify()
    return render_template(
        "pfa/finance_accounts.html",
        accounts=accounts,
        bank_by_bin=vn_banks.bank_by_bin,
        holder_matches=_holder_matches,
        conflicted={
            a.cooperative_id
            for a in accounts
            if has_conflict_of_interest(_actor(), a.cooperative_id)
        },
    )


@bp.post("/finance/accounts/<int:cooperative_id>/verify")
def verify_payout_account(cooperative_id: int):
    back = url_for("pfa.payout_accounts")
    account = payouts.payout_account(cooperative_id)
    if account is None:
        abort(404)
    if not _confirmed():
        return render_template(
            "pfa/finance_confirm.html",
            step="verify_account",
            account=account,
            bank=vn_banks.bank_by_bin(account.bank_bin),
            holder_matches=_holder_matches(account),
            legal_name_folded=fold_diacritics(account.cooperative.legal_name).upper(),
            action=request.path,
            back=back,
        )
    return _run(
        lambda: payouts.verify_payout_account(
            cooperative_id, actor=_actor(), account_number=request.form.get("account_number", "")
        ),
        _("Payout account verified. The cooperative can be paid into it."),
        back,
    )


@bp.post("/finance/accounts/<int:cooperative_id>/reject")
def reject_payout_account(cooperative_id: int):
    return _run(
        lambda: payouts.reject_payout_account(
            cooperative_id, request.form.get("reason", ""), actor=_actor()
        ),
        _("Payout account rejected. The cooperative's owners see the reason and can correct it."),
        url_for("pfa.payout_accounts"),
    )


# --- payouts (admins) -------------------------------------------------------------------------


def _blocked_reason(candidate) -> str:
    account = candidate.account
    if account is None:
        return _("No payout account recorded")
    if account.status == "rejected":
        return _("Payout account rejected: %(reason)s", reason=account.rejection_reason)
    return _("Payout account waiting for verification")


def _preview(threshold: int):
    candidates = queries.payout_candidates(threshold)
    eligible = [c for c in candidates if c.eligible]
    blocked = [(c, _blocked_reason(c)) for c in candidates if not c.eligible]
    return eligible, blocked


@bp.get("/finance/payouts")
def payouts_page():
    default = queries.payout_threshold()
    raw = request.args.get("threshold")
    threshold = _threshold(raw)
    invalid = raw not in (None, "") and threshold is None
    if threshold is None:
        threshold = default
    eligible, blocked = _preview(threshold)
    return render_template(
        "pfa/payouts.html",
        threshold=threshold,
        default_threshold=default,
        invalid_threshold=invalid,
        eligible=eligible,
        blocked=blocked,
        total=sum(c.available for c in eligible),
        batches=payouts.payout_batches(limit=20),
        bank_by_bin=vn_banks.bank_by_bin,
    ), (400 if invalid else 200)


@bp.post("/finance/payouts/batches")
def create_payout_batch():
    back = url_for("pfa.payouts_page")
    threshold = _threshold(request.form.get("threshold", ""))
    if threshold is None:
        flash(_("The threshold is a whole number of đồng, zero or more."), "error")
        return redirect(back, code=303)
    if not _confirmed():
        eligible, blocked = _preview(threshold)
        return render_template(
            "pfa/finance_confirm.html",
            step="create_batch",
            threshold=threshold,
            eligible=eligible,
            blocked=blocked,
            total=sum(c.available for c in eligible),
            bank_by_bin=vn_banks.bank_by_bin,
            action=request.path,
            back=url_for("pfa.payouts_page", threshold=threshold),
        )
    try:
        batch = payouts.create_payout_batch(actor=_actor(), threshold=threshold)
    except DomainError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "error")
        return redirect(url_for("pfa.payouts_page", threshold=threshold), code=303)
    flash(
        ngettext(
            "Payout batch %(batch)s made with %(num)d payout. Download the CSV for the bank, "
            "then mark the payouts paid once the bank has sent them.",
            "Payout batch %(batch)s made with %(num)d payouts. Download the CSV for the bank, "
            "then mark the payouts paid once the bank has sent them.",
            len(batch.payouts),
            batch=batch.id,
        ),
        "success",
    )
    return redirect(url_for("pfa.payout_batch", batch_id=batch.id), code=303)


@bp.get("/finance/payouts/batches/<int:batch_id>")
def payout_batch(batch_id: int):
    batch = payouts.payout_batch(batch_id)
    pending = [p for p in batch.payouts if p.status is PayoutStatus.PENDING]
    return render_template(
        "pfa/payout_batch.html",
        batch=batch,
        pending=pending,
        pending_total=sum(p.amount for p in pending),
        paid_total=sum(p.amount for p in batch.payouts if p.status is PayoutStatus.PAID),
    )


@bp.get("/finance/payouts/batches/<int:batch_id>.csv")
def payout_batch_csv(batch_id: int):
    """The batch's pending payouts for the bank's bulk transfer (UTF-8 with a BOM)."""
    rows = payouts.payout_batch_rows(batch_id)
    return csvexport.csv_response(f"ocop-chi-tra-{batch_id}.csv", rows)


def _payout_of(batch, payout_id: int):
    for payout in batch.payouts:
        if payout.id == payout_id:
            return payout
    abort(404)


@bp.post("/finance/payouts/batches/<int:batch_id>/paid")
def mark_batch_paid(batch_id: int):
    back = url_for("pfa.payout_batch", batch_id=batch_id)
    batch = payouts.payout_batch(batch_id)
    if not _confirmed():
        pending = [p for p in batch.payouts if p.status is PayoutStatus.PENDING]
        if not pending:
            flash(_("Every payout of this batch is already paid or cancelled."), "info")
            return redirect(back, code=303)
        return render_template(
            "pfa/finance_confirm.html",
            step="batch_paid",
            batch=batch,
            payouts=pending,
            total=sum(p.amount for p in pending),
            action=request.path,
            back=back,
        )
    return _run(
        lambda: payouts.mark_batch_paid(
            batch_id, actor=_actor(), bank_reference=request.form.get("bank_reference", "")
        ),
        lambda paid: ngettext(
            "%(num)d payout marked paid; the cooperative's balance is lowered by it.",
            "%(num)d payouts marked paid; each cooperative's balance is lowered by its payout.",
            len(paid),
        ),
        back,
    )


@bp.post("/finance/payouts/batches/<int:batch_id>/payouts/<int:payout_id>/paid")
def mark_payout_paid(batch_id: int, payout_id: int):
    back = url_for("pfa.payout_batch", batch_id=batch_id)
    batch = payouts.payout_batch(batch_id)
    payout = _payout_of(batch, payout_id)
    if not _confirmed():
        return render_template(
            "pfa/finance_confirm.html",
            step="payout_paid",
            batch=batch,
            payouts=[payout],
            total=payout.amount,
            action=request.path,
            back=back,
        )
    return _run(
        lambda: payouts.mark_payout_paid(
            payout.id, actor=_actor(), bank_reference=request.form.get("bank_reference", "")
        ),
        _("Payout marked paid; the cooperative's balance is lowered by it."),
        back,
    )


@bp.post("/finance/payouts/batches/<int:batch_id>/payouts/<int:payout_id>/cancel")
def cancel_payout(batch_id: int, payout_id: int):
    payout = _payout_of(payouts.payout_batch(batch_id), payout_id)
    return _run(
        lambda: payouts.cancel_payout(payout.id, request.form.get("reason", ""), actor=_actor()),
        _("Payout cancelled. The amount stays owed to the cooperative; the next batch pays it."),
        url_for("pfa.payout_batch", batch_id=batch_id),
    )


# --- the platform's summary (admins) ----------------------------------------------------------


@bp.get("/finance/summary")
def finance_summary():
    return render_template(
        "pfa/finance_summary.html",
        summary=queries.platform_summary(),
        months=list(reversed(monthly.monthly_figures(12))),
    )
