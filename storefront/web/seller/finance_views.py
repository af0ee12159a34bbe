"""The cooperative's money (/seller/finance): what the market owes it and what that is made
of, its ledger entries with the running balance, the monthly statement (printable page and
CSV) and the bank account it is paid into. Every member reads them; only an owner changes
the payout account. Everything is the chosen cooperative's (g.cooperative): no id of another
cooperative is ever read from the request."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront.core import clock, vn_banks
from storefront.core.errors import InvalidInput
from storefront.core.inputs import parse_int
from storefront.domain.ledger import payouts, queries
from storefront.domain.ledger.rows import RowKind, split_lines
from storefront.models import MemberRole
from storefront.web.pfa import csvexport
from storefront.web.seller import bp
from storefront.web.seller.context import apply_domain_error, cooperative_required, flash_done
from storefront.web.seller.forms import PayoutAccountForm

PER_PAGE = 25
# Rows whose ledger memo says something to the cooperative (a payout's transfer content, a
# correction's reason); a sale's memo is the ledger's own note, in English.
MEMO_KINDS = frozenset({RowKind.PAYOUT, RowKind.REFUND, RowKind.CORRECTION, RowKind.OTHER})
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def row_kind_labels() -> dict[RowKind, str]:
    """What each kind of row is called on the pages and in the CSV."""
    return {
        RowKind.SALE: _("Sale"),
        RowKind.SHIPPING: _("Shipping fee"),
        RowKind.COMMISSION: _("Commission"),
        RowKind.CASH_KEPT: _("Cash on delivery kept"),
        RowKind.PAYOUT: _("Payout"),
        RowKind.REFUND: _("Refund"),
        RowKind.CORRECTION: _("Correction"),
        RowKind.OTHER: _("Other"),
    }


def _month_arg() -> tuple[int, int]:
    """?month=YYYY-MM, else this month (shop time). A month that does not exist is 404."""
    raw = request.args.get("month", "")
    if not raw:
        today = clock.today()
        return today.year, today.month
    match = _MONTH.fullmatch(raw.strip())
    if match is None:
        abort(404)
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 2000 <= year <= 9999):
        abort(404)
    return year, month


def _month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _is_owner() -> bool:
    return g.member_role is MemberRole.OWNER


@bp.get("/finance")
@cooperative_required
def finance():
    coop_id = g.cooperative.id
    page = max(1, parse_int(request.args.get("page", "1")) or 1)
    entries = queries.cooperative_entries(coop_id, page=page, per_page=PER_PAGE)
    if page > entries.pages:
        abort(404)
    months = queries.statement_months(coop_id)
    return render_template(
        "seller/finance.html",
        balance=queries.cooperative_balance(coop_id),
        entries=entries,
        rows=split_lines(entries.lines, newest_first=True),
        labels=row_kind_labels(),
        account=payouts.payout_account(coop_id),
        bank_by_bin=vn_banks.bank_by_bin,
        recent_payouts=payouts.cooperative_payouts(coop_id, limit=5),
        months=[(_month_key(y, m), y, m) for y, m in months],
        is_owner=_is_owner(),
    )


def _statement():
    year, month = _month_arg()
    statement = queries.monthly_statement(g.cooperative.id, year, month)
    return statement, split_lines(statement.lines)


@bp.get("/finance/statement")
@cooperative_required
def finance_statement():
    """The month's statement as a page to read or print (the browser's print, print CSS)."""
    statement, rows = _statement()
    year, month = statement.year, statement.month
    previous = (year - 1, 12) if month == 1 else (year, month - 1)
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    today = clock.today()
    return render_template(
        "seller/finance_statement.html",
        statement=statement,
        rows=rows,
        labels=row_kind_labels(),
        month_key=_month_key(year, month),
        previous=_month_key(*previous),
        following=_month_key(*following) if following <= (today.year, today.month) else None,
        first_day=statement.starts_at.date(),
        last_day=statement.ends_at.date() - timedelta(days=1),
        printed_on=today,
    )


@bp.get("/finance/statement.csv")
@cooperative_required
def finance_statement_csv():
    """The month's statement as CSV (UTF-8 with a BOM, so Excel reads the Vietnamese): the
    opening balance, one row per entry with the balance after it, the closing balance."""
    statement, rows = _statement()
    labels = row_kind_labels()

    def lines():
        yield [
            _("Date"),
            _("Kind"),
            _("Order"),
            _("Entry details"),
            _("Amount (VND)"),
            _("Balance (VND)"),
        ]
        yield [
            statement.starts_at.date().isoformat(),
            _("Opening balance"),
            "",
            "",
            "",
            statement.opening_balance,
        ]
        for row in rows:
            local = row.occurred_at.astimezone(clock.zone())
            yield [
                local.strftime("%Y-%m-%d %H:%M"),
                labels[row.kind] + (" (COD)" if row.cod and row.kind is RowKind.SALE else ""),
                row.order_number or "",
                row.memo if row.kind in MEMO_KINDS else "",
                row.amount,
                row.balance,
            ]
        last_day = statement.ends_at.date() - timedelta(days=1)
        yield [last_day.isoformat(), _("Closing balance"), "", "", "", statement.closing_balance]

    name = f"sao-ke-{g.cooperative.slug}-{_month_key(statement.year, statement.month)}.csv"
    return csvexport.csv_response(name, lines())


@bp.route("/finance/account", methods=["GET", "POST"])
@cooperative_required
def payout_account():
    """The bank account the market pays the cooperative into: every member sees it and its
    verification; an owner sets or changes it (any change waits for staff to verify it)."""
    coop = g.cooperative
    account = payouts.payout_account(coop.id)
    is_owner = _is_owner()
    if request.method == "POST" and not is_owner:
        abort(403)
    if request.method == "POST" or account is None:
        form = PayoutAccountForm()
    else:
        form = PayoutAccountForm(
            data={
                "bank_bin": account.bank_bin,
                "account_number": account.account_number,
                "holder_name": account.holder_name,
            }
        )
    form.set_banks(payouts.bank_choices())
    if is_owner and form.validate_on_submit():
        try:
            payouts.set_payout_account(
                coop.id,
                actor=current_user._get_current_object(),
                bank_bin=form.bank_bin.data or "",
                account_number=form.account_number.data or "",
                holder_name=form.holder_name.data or "",
            )
        except InvalidInput as error:
            apply_domain_error(form, error)
        else:
            flash_done(
                _(
                    "The payout account is saved. The market pays into it once the Farmers'"
                    " Association has checked it."
                )
            )
            return redirect(url_for("seller.payout_account"), code=303)
    return render_template(
        "seller/payout_account.html",
        form=form,
        account=account,
        bank=vn_banks.bank_by_bin(account.bank_bin) if account else None,
        is_owner=is_owner,
        example_holder=payouts.normalise_holder_name(coop.legal_name),
    ), (400 if form.errors else 200)
