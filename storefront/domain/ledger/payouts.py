"""Paying cooperatives: their payout bank account (set by an owner, verified by PFA staff) and
payout batches (an admin makes one for every cooperative owed at least the threshold with a
verified account, downloads it as a CSV for the bank, then marks each payout paid).

A payout is never more than what the market owes the cooperative: its amount is the available
balance when the batch is made, and marking it paid checks the balance again (under a lock on
the cooperative's ledger) before the entries are posted. Every step is in the audit trail.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from storefront.core import vn_banks
from storefront.core.db import lock_name, rows_matched, unit_of_work
from storefront.core.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from storefront.core.text import fold_diacritics
from storefront.domain.audit import record_decision
from storefront.domain.cooperatives.members import require_owner
from storefront.domain.decisions import clean_reason, require_independent, require_staff
from storefront.domain.ledger import postings, queries
from storefront.extensions import db
from storefront.models import (
    Cooperative,
    Payout,
    PayoutAccount,
    PayoutBatch,
    PayoutStatus,
    Role,
    User,
    utcnow,
)

ACCOUNT_NUMBER = re.compile(r"^[0-9]{6,19}$")
HOLDER_NAME_MAX = 120
# An account name as Vietnamese banks print it (after normalise_holder_name). Nothing else:
# the name goes into the bulk-transfer CSV an admin opens in a spreadsheet ("=HYPERLINK(...)").
HOLDER_NAME = re.compile(r"^[A-Z0-9][A-Z0-9 .,&()-]*$")
TRANSFER_CONTENT_MAX = 50  # what every Vietnamese bank carries in full
PAYOUTS_LOCK = "ledger:payouts"


def require_admin(actor: User | None) -> None:
    if (
        actor is None
        or not getattr(actor, "is_authenticated", False)
        or actor.role is not Role.ADMIN
    ):
        raise Forbidden(_("Only an administrator can do this."))


# --- the payout bank account -------------------------------------------------------------------


def bank_choices() -> tuple[vn_banks.Bank, ...]:
    """The banks a payout account may be at (core/vn_banks), for the form's select."""
    return vn_banks.BANKS


def normalise_account_number(raw: str) -> str:
    """Digits only: spaces, dots and dashes people type are dropped."""
    return re.sub(r"[\s.\-]", "", raw or "")


def normalise_holder_name(raw: str) -> str:
    """As Vietnamese banks print it: upper case, no diacritics, single spaces
    ("Hợp tác xã Vải thiều" → "HOP TAC XA VAI THIEU")."""
    return " ".join(fold_diacritics(raw or "").upper().split())


def payout_account(cooperative_id: int) -> PayoutAccount | None:
    return db.session.scalar(
        select(PayoutAccount).where(PayoutAccount.cooperative_id == cooperative_id)
    )


def set_payout_account(
    cooperative_id: int,
    *,
    actor: User,
    bank_bin: str,
    account_number: str,
    holder_name: str,
    now: datetime | None = None,
) -> PayoutAccount:
    """An owner of the cooperative records (or changes) where it is paid. Any change clears
    the verification: staff must verify it again before a payout. InvalidInput (nothing
    changed) for an unknown bank, an account number not of 6 to 19 digits, a blank or too
    long holder name; Forbidden for anyone but an owner. Audited. Commits once."""
    now = now or utcnow()
    bank_bin = (bank_bin or "").strip()
    if vn_banks.bank_by_bin(bank_bin) is None:
        raise InvalidInput(_("Choose the bank from the list."), field="bank_bin")
    number = normalise_account_number(account_number)
    if not ACCOUNT_NUMBER.match(number):
        raise InvalidInput(_("The account number is 6 to 19 digits."), field="account_number")
    holder = normalise_holder_name(holder_name)
    if not holder:
        raise InvalidInput(_("Enter the account holder's name."), field="holder_name")
    if not HOLDER_NAME.match(holder):
        raise InvalidInput(
            _(
                "Write the account holder's name as the bank prints it: letters, digits, "
                "spaces and . , - & ( ) only, starting with a letter or digit."
            ),
            field="holder_name",
        )
    if len(holder) > HOLDER_NAME_MAX:
        raise InvalidInput(
            _(
                "The account holder's name is too long (%(num)d characters at most).",
                num=HOLDER_NAME_MAX,
            ),
            field="holder_name",
        )
    with unit_of_work(writer=True):
        require_owner(actor, cooperative_id)
        cooperative = db.session.get(Cooperative, cooperative_id)
        if cooperative is None:
            raise NotFound(_("Cooperative not found."))
        account = payout_account(cooperative_id)
        before = account.status if account is not None else ""
        if account is None:
            account = PayoutAccount(cooperative_id=cooperative_id)
            db.session.add(account)
        changed = (account.bank_bin, account.account_number, account.holder_name) != (
            bank_bin,
            number,
            holder,
        )
        if changed or account.id is None:
            account.bank_bin, account.account_number, account.holder_name = (
                bank_bin,
                number,
                holder,
            )
            account.updated_by_id = actor.id
            account.verified_at = account.verified_by_id = None
            account.rejected_at, account.rejection_reason = None, ""
            account.updated_at = now
            record_decision(
                actor=actor,
                action="payout_account.set",
                subject=cooperative,
                from_status=before,
                to_status="pending",
                data={"bank_bin": bank_bin, "account_number": number, "holder_name": holder},
            )
        db.session.flush()
    return account


def payout_accounts_to_verify() -> list[PayoutAccount]:
    """Payout accounts waiting for staff (neither verified nor rejected), oldest first."""
    return list(
        db.session.scalars(
            select(PayoutAccount)
            .where(PayoutAccount.verified_at.is_(None), PayoutAccount.rejected_at.is_(None))
            .options(selectinload(PayoutAccount.cooperative))
            .order_by(PayoutAccount.updated_at, PayoutAccount.id)
        )
    )


def _account_for_decision(cooperative_id: int, actor: User) -> tuple[PayoutAccount, Cooperative]:
    require_staff(actor)
    require_independent(actor, cooperative_id)
    account = db.session.scalar(
        select(PayoutAccount)
        .where(PayoutAccount.cooperative_id == cooperative_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if account is None:
        raise NotFound(_("This cooperative has no payout account."))
    return account, account.cooperative


def verify_payout_account(
    cooperative_id: int,
    *,
    actor: User,
    account_number: str | None = None,
    now: datetime | None = None,
) -> PayoutAccount:
    """PFA staff (or an admin), independent of the cooperative, confirm its payout account.
    With `account_number` (what the page showed), AlreadyDecided-style InvalidTransition if
    the owner changed it meanwhile. Audited. Commits once."""
    now = now or utcnow()
    with unit_of_work(writer=True):
        account, cooperative = _account_for_decision(cooperative_id, actor)
        if account_number is not None and normalise_account_number(account_number) != (
            account.account_number
        ):
            raise InvalidTransition(_("The account changed meanwhile; please check it again."))
        if account.verified_at is not None:
            raise InvalidTransition(_("This payout account is already verified."))
        before = account.status
        account.verified_at, account.verified_by_id = now, actor.id
        account.rejected_at, account.rejection_reason = None, ""
        record_decision(
            actor=actor,
            action="payout_account.verify",
            subject=cooperative,
            from_status=before,
            to_status="verified",
            data={"bank_bin": account.bank_bin, "account_number": account.account_number},
        )
    return account


def reject_payout_account(
    cooperative_id: int, reason: str | None, *, actor: User, now: datetime | None = None
) -> PayoutAccount:
    """PFA staff (or an admin) refuse the account (the reason is required; the owner reads
    it and corrects the account). Clears a verification. Audited. Commits once."""
    now = now or utcnow()
    reason = clean_reason(reason, required=True)
    with unit_of_work(writer=True):
        account, cooperative = _account_for_decision(cooperative_id, actor)
        before = account.status
        account.verified_at = account.verified_by_id = None
        account.rejected_at, account.rejection_reason = now, reason
        record_decision(
            actor=actor,
            action="payout_account.reject",
            subject=cooperative,
            from_status=before,
            to_status="rejected",
            reason=reason,
            data={"bank_bin": account.bank_bin, "account_number": account.account_number},
        )
    return account


# --- payout batches ----------------------------------------------------------------------------


def transfer_content(payout_id: int, cooperative_name: str) -> str:
    """What the cooperative's bank statement shows: ASCII, upper case, ≤ 50 characters,
    naming the payout ("OCOP MARKET TT 12 HTX VAI THIEU")."""
    text = f"OCOP MARKET TT {payout_id} {normalise_holder_name(cooperative_name)}"
    text = re.sub(r"[^A-Z0-9 ]", "", text)
    return text[:TRANSFER_CONTENT_MAX].rstrip()


def create_payout_batch(
    *, actor: User, threshold: int | None = None, now: datetime | None = None
) -> PayoutBatch:
    """An admin makes a payout batch: one pending payout for each cooperative whose available
    balance (balance less its pending payouts) is at least `threshold` (default
    LEDGER_PAYOUT_THRESHOLD) and whose payout account is verified; each with that amount,
    the account as it is now, and its transfer content. InvalidInput if nobody is due (or a
    negative threshold). Nothing is posted until a payout is marked paid. Audited per
    cooperative. Commits once."""
    require_admin(actor)
    if threshold is not None and (type(threshold) is not int or threshold < 0):
        raise InvalidInput(_("The threshold is a whole number of đồng, zero or more."))
    now = now or utcnow()
    with unit_of_work(writer=True):
        lock_name(PAYOUTS_LOCK)
        candidates = queries.eligible_for_payout(threshold)
        if not candidates:
            raise InvalidInput(_("No cooperative is due a payout."))
        batch = PayoutBatch(
            created_at=now,
            created_by_id=actor.id,
            threshold=queries.payout_threshold() if threshold is None else threshold,
        )
        db.session.add(batch)
        for candidate in candidates:
            account = candidate.account
            assert account is not None  # eligible: a verified account
            bank = vn_banks.bank_by_bin(account.bank_bin)
            payout = Payout(
                batch=batch,
                cooperative_id=candidate.cooperative_id,
                cooperative_name=candidate.cooperative_name,
                amount=candidate.available,
                status=PayoutStatus.PENDING,
                bank_bin=account.bank_bin,
                bank_name=bank.short_name if bank else account.bank_bin,
                account_number=account.account_number,
                holder_name=account.holder_name,
                transfer_content="",
            )
            db.session.add(payout)
            db.session.flush()
            payout.transfer_content = transfer_content(payout.id, candidate.cooperative_name)
            cooperative = db.session.get(Cooperative, candidate.cooperative_id)
            assert cooperative is not None
            record_decision(
                actor=actor,
                action="payout.create",
                subject=cooperative,
                from_status="",
                to_status=PayoutStatus.PENDING.value,
                data={"payout": payout.id, "batch": batch.id, "amount": payout.amount},
            )
        db.session.flush()
    return batch


def payout_batches(*, limit: int = 50) -> list[PayoutBatch]:
    """The latest batches, newest first, with their payouts (two queries)."""
    return list(
        db.session.scalars(
            select(PayoutBatch)
            .options(selectinload(PayoutBatch.payouts))
            .order_by(PayoutBatch.created_at.desc(), PayoutBatch.id.desc())
            .limit(limit)
        )
    )


def payout_batch(batch_id: int) -> PayoutBatch:
    batch = db.session.scalar(
        select(PayoutBatch)
        .where(PayoutBatch.id == batch_id)
        .options(selectinload(PayoutBatch.payouts))
    )
    if batch is None:
        raise NotFound(_("Payout batch not found."))
    return batch


def cooperative_payouts(cooperative_id: int, *, limit: int = 50) -> list[Payout]:
    """The cooperative's payouts, newest first (its finance page)."""
    return list(
        db.session.scalars(
            select(Payout)
            .where(Payout.cooperative_id == cooperative_id)
            .order_by(Payout.created_at.desc(), Payout.id.desc())
            .limit(limit)
        )
    )


def payout_batch_rows(batch_id: int) -> list[list[object]]:
    """The batch's pending payouts as rows for the bank's bulk transfer, headers first:
    number, bank BIN, bank, account number, account holder, amount (đồng), transfer content
    (the web layer writes them as a CSV a spreadsheet opens safely)."""
    batch = payout_batch(batch_id)
    rows: list[list[object]] = [
        [
            _("Row"),
            _("Bank BIN"),
            _("Bank"),
            _("Account number"),
            _("Account holder"),
            _("Amount (VND)"),
            _("Transfer content"),
        ]
    ]
    pending = [p for p in batch.payouts if p.status is PayoutStatus.PENDING]
    for n, payout in enumerate(pending, start=1):
        rows.append(
            [
                n,
                payout.bank_bin,
                payout.bank_name,
                payout.account_number,
                payout.holder_name,
                payout.amount,
                payout.transfer_content,
            ]
        )
    return rows


def _locked_payout(payout_id: int) -> Payout:
    payout = db.session.scalar(
        select(Payout)
        .where(Payout.id == payout_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if payout is None:
        raise NotFound(_("Payout not found."))
    return payout


def _pay(payout: Payout, actor: User, bank_reference: str, now: datetime) -> None:
    if payout.status is not PayoutStatus.PENDING:
        raise InvalidTransition(_("This payout is not waiting to be paid."))
    lock_name(postings.cooperative_lock(payout.cooperative_id))
    balance = queries.cooperative_balances([payout.cooperative_id]).get(payout.cooperative_id, 0)
    if payout.amount > balance:
        raise InvalidTransition(
            _(
                "This payout is more than the cooperative's balance now; cancel it and make"
                " a new batch."
            )
        )
    moved = rows_matched(
        db.session.execute(
            update(Payout)
            .where(Payout.id == payout.id, Payout.status == PayoutStatus.PENDING)
            .values(
                status=PayoutStatus.PAID,
                paid_at=now,
                paid_by_id=actor.id,
                bank_reference=bank_reference,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    )
    if moved != 1:
        raise InvalidTransition(_("This payout is not waiting to be paid."))
    postings.record_payout_paid(
        payout_id=payout.id,
        cooperative_id=payout.cooperative_id,
        amount=payout.amount,
        occurred_at=now,
        memo=payout.transfer_content,
        created_by_id=actor.id,
    )
    cooperative = db.session.get(Cooperative, payout.cooperative_id)
    assert cooperative is not None
    record_decision(
        actor=actor,
        action="payout.paid",
        subject=cooperative,
        from_status=PayoutStatus.PENDING.value,
        to_status=PayoutStatus.PAID.value,
        data={"payout": payout.id, "amount": payout.amount, "reference": bank_reference},
    )


def _reference(bank_reference: str) -> str:
    reference = (bank_reference or "").strip()
    if len(reference) > 120:
        raise InvalidInput(_("The bank reference is too long (120 characters at most)."))
    return reference


def mark_payout_paid(
    payout_id: int, *, actor: User, bank_reference: str = "", now: datetime | None = None
) -> Payout:
    """An admin records that the bank sent this payout: it becomes paid and the ledger posts
    it (debit the cooperative's payable, credit the bank), once. InvalidTransition if it is
    not pending, or if it is now more than the cooperative's balance (nothing changes then).
    Audited. Commits once."""
    require_admin(actor)
    reference = _reference(bank_reference)
    now = now or utcnow()
    with unit_of_work(writer=True):
        payout = _locked_payout(payout_id)
        _pay(payout, actor, reference, now)
    db.session.expire(payout)
    return payout


def mark_batch_paid(
    batch_id: int, *, actor: User, bank_reference: str = "", now: datetime | None = None
) -> list[Payout]:
    """mark_payout_paid for each pending payout of the batch, all in one unit of work (any
    refusal changes nothing). Returns the payouts it paid."""
    require_admin(actor)
    reference = _reference(bank_reference)
    now = now or utcnow()
    with unit_of_work(writer=True):
        batch = payout_batch(batch_id)
        paid = []
        for payout_id in [p.id for p in batch.payouts if p.status is PayoutStatus.PENDING]:
            payout = _locked_payout(payout_id)
            _pay(payout, actor, reference, now)
            paid.append(payout)
    return paid


def cancel_payout(
    payout_id: int, reason: str | None, *, actor: User, now: datetime | None = None
) -> Payout:
    """An admin takes a pending payout out of its batch (the bank refused it, the account was
    wrong): nothing was posted, so the balance stays owed and the next batch pays it.
    Reason required. Audited. Commits once."""
    require_admin(actor)
    reason = clean_reason(reason, required=True)
    now = now or utcnow()
    with unit_of_work(writer=True):
        payout = _locked_payout(payout_id)
        if payout.status is not PayoutStatus.PENDING:
            raise InvalidTransition(_("This payout is not waiting to be paid."))
        payout.status = PayoutStatus.CANCELLED
        payout.cancelled_at, payout.cancel_reason = now, reason
        cooperative = db.session.get(Cooperative, payout.cooperative_id)
        assert cooperative is not None
        record_decision(
            actor=actor,
            action="payout.cancel",
            subject=cooperative,
            from_status=PayoutStatus.PENDING.value,
            to_status=PayoutStatus.CANCELLED.value,
            reason=reason,
            data={"payout": payout.id, "amount": payout.amount},
        )
    return payout
