"""The settlement ledger: double-entry, in integer đồng, append-only; and the cooperatives'
payout bank accounts and payouts.

A ledger transaction is one event (money received, a sale recognised, a refund owed or sent,
a payout paid), posted once under its unique idempotency key; its entries move money between
accounts and always sum to zero. Amounts are signed: positive = debit, negative = credit.
Rows are never updated or deleted (ORM listeners here, triggers on PostgreSQL): a correction is
a new transaction. See docs/architecture.md, "Settlement ledger".
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    DDL,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, relationship

from storefront.extensions import Base
from storefront.models.base import TimestampMixin, str_enum, utcnow

if TYPE_CHECKING:
    from storefront.models.cooperatives import Cooperative
    from storefront.models.users import User


class LedgerAccount(enum.StrEnum):
    """The ledger's accounts. Debit-normal (assets): BANK, COOPERATIVE_CASH. Credit-normal
    (owed, earned): the others. `*` = kept per cooperative (entries carry cooperative_id)."""

    BANK = "bank"  # the market's bank account (card, transfer, payOS money arrives here)
    BUYER_FUNDS = "buyer_funds"  # received for orders not yet delivered (nor refunded)
    UNMATCHED = "unmatched"  # received, matching no order yet (a transfer staff must assign)
    COOPERATIVE_CASH = "cooperative_cash"  # * COD cash a cooperative collected and keeps
    COOPERATIVE_PAYABLE = "cooperative_payable"  # * what the market owes the cooperative
    COMMISSION = "commission"  # the platform's commission revenue
    REFUNDS_OWED = "refunds_owed"  # owed back to buyers, not yet sent


PER_COOPERATIVE_ACCOUNTS = (LedgerAccount.COOPERATIVE_CASH, LedgerAccount.COOPERATIVE_PAYABLE)


class LedgerKind(enum.StrEnum):
    RECEIVED = "received"  # money received (card, transfer, payOS) for an order or unmatched
    ASSIGNED = "assigned"  # an unmatched receipt assigned to an order
    SALE = "sale"  # a prepaid shipment delivered: recognised for its cooperative
    COD_SALE = "cod_sale"  # a COD shipment's cash collected: recognised for its cooperative
    REFUND_OWED = "refund_owed"  # an order or a part cancelled after money came in
    REFUND_SENT = "refund_sent"  # a refund sent back to the buyer
    PAYOUT = "payout"  # a payout to a cooperative, marked paid
    CORRECTION = "correction"  # staff's correcting transaction (never an edit)


class LedgerTransaction(Base):
    __tablename__ = "ledger_transactions"
    __table_args__ = (Index("ix_ledger_transactions_occurred", "occurred_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[LedgerKind] = mapped_column(str_enum(LedgerKind, "ledger_kind"))
    # "sale:shipment:12", "received:stripe:payment:7", ...: the same event posts once.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"), index=True)
    cooperative_id: Mapped[int | None] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"), index=True)
    memo: Mapped[str] = mapped_column(Text, default="", server_default="")
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    entries: Mapped[list[LedgerEntry]] = relationship(
        back_populates="transaction", order_by="LedgerEntry.id"
    )


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint(
            "cooperative_id IS NOT NULL OR account NOT IN ('cooperative_cash',"
            " 'cooperative_payable')",
            name="cooperative_accounts_name_one",
        ),
        Index("ix_ledger_entries_cooperative_account", "cooperative_id", "account"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account: Mapped[LedgerAccount] = mapped_column(str_enum(LedgerAccount, "ledger_account"))
    # Required on the per-cooperative accounts; on the others, whose sale or payout it was.
    cooperative_id: Mapped[int | None] = mapped_column(ForeignKey("cooperatives.id"))
    amount: Mapped[int] = mapped_column(BigInteger)  # đồng; debit > 0, credit < 0

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")


class PayoutAccount(TimestampMixin, Base):
    """Where a cooperative is paid: one bank account, verified by PFA staff before any payout.
    Any change clears the verification."""

    __tablename__ = "payout_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="CASCADE"), unique=True
    )
    bank_bin: Mapped[str] = mapped_column(String(6))  # core/vn_banks.BANKS
    account_number: Mapped[str] = mapped_column(String(19))  # digits only
    holder_name: Mapped[str] = mapped_column(String(120))  # upper case, as the bank prints it
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rejected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rejection_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    cooperative: Mapped[Cooperative] = relationship()
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def status(self) -> str:
        """ "verified", "rejected" or "pending" (waiting for staff)."""
        if self.verified_at is not None:
            return "verified"
        if self.rejected_at is not None:
            return "rejected"
        return "pending"


class PayoutStatus(enum.StrEnum):
    PENDING = "pending"  # in a batch, not yet sent by the bank
    PAID = "paid"  # the bank sent it: the ledger has its entries
    CANCELLED = "cancelled"  # taken out of its batch; the balance stays owed


class PayoutBatch(Base):
    __tablename__ = "payout_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    threshold: Mapped[int] = mapped_column(BigInteger)  # đồng: the least balance paid out

    payouts: Mapped[list[Payout]] = relationship(back_populates="batch", order_by="Payout.id")


class Payout(TimestampMixin, Base):
    """One transfer to one cooperative, with its bank account as it was when the batch was
    made. Paid = its ledger entries are posted; never more than the cooperative's balance."""

    __tablename__ = "payouts"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id"), index=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    cooperative_name: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)  # đồng
    status: Mapped[PayoutStatus] = mapped_column(
        str_enum(PayoutStatus, "payout_status"), default=PayoutStatus.PENDING, index=True
    )
    bank_bin: Mapped[str] = mapped_column(String(6))
    bank_name: Mapped[str] = mapped_column(String(120))
    account_number: Mapped[str] = mapped_column(String(19))
    holder_name: Mapped[str] = mapped_column(String(120))
    transfer_content: Mapped[str] = mapped_column(String(80))  # ASCII, what the bank shows
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    bank_reference: Mapped[str] = mapped_column(String(120), default="", server_default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    batch: Mapped[PayoutBatch] = relationship(back_populates="payouts")


# --- append-only ------------------------------------------------------------------------------


class LedgerIsAppendOnly(RuntimeError):
    """Ledger rows are never changed or removed: post a correcting transaction instead."""


def _refuse(mapper: Any, connection: Any, target: Any) -> None:
    raise LedgerIsAppendOnly(
        f"{type(target).__name__} rows are append-only: post a correcting transaction"
    )


for _model in (LedgerTransaction, LedgerEntry):
    event.listen(_model, "before_update", _refuse)
    event.listen(_model, "before_delete", _refuse)

_LEDGER_TABLES = frozenset({"ledger_transactions", "ledger_entries"})


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    """`session.execute(update(LedgerEntry)...)` and `delete(...)` skip the mapper events."""
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and getattr(mapper.local_table, "name", None) in _LEDGER_TABLES:
        raise LedgerIsAppendOnly("ledger rows are append-only: post a correcting transaction")


# PostgreSQL enforces it too, for any client: UPDATE and DELETE raise (TRUNCATE, which only the
# test suite's cleanup uses, is not a row event), and a deferred constraint trigger checks at
# commit that every transaction's entries sum to zero. The migration creates the same objects.
PG_FUNCTIONS = (
    """
CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only (% on %)', TG_OP, TG_TABLE_NAME;
END
$$ LANGUAGE plpgsql
""",
    """
CREATE OR REPLACE FUNCTION ledger_transaction_balanced() RETURNS trigger AS $$
DECLARE
    total numeric;
BEGIN
    SELECT COALESCE(SUM(amount), 0) INTO total
    FROM ledger_entries WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance (sum %)',
            NEW.transaction_id, total;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
""",
)
PG_TRIGGERS = {
    "ledger_transactions": (
        "CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE"
        " ON ledger_transactions FOR EACH ROW EXECUTE FUNCTION ledger_append_only()",
    ),
    "ledger_entries": (
        "CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE"
        " ON ledger_entries FOR EACH ROW EXECUTE FUNCTION ledger_append_only()",
        "CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
        " EXECUTE FUNCTION ledger_transaction_balanced()",
    ),
}

for _statement in PG_FUNCTIONS:
    event.listen(
        LedgerTransaction.__table__,
        "before_create",
        # DDL() formats its text with %: the functions' own % are escaped.
        DDL(_statement.replace("%", "%%")).execute_if(dialect="postgresql"),
    )
for _name, _table in (
    ("ledger_transactions", LedgerTransaction.__table__),
    ("ledger_entries", LedgerEntry.__table__),
):
    for _statement in PG_TRIGGERS[_name]:
        event.listen(_table, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
