"""`flask --app wsgi payments reconcile`: ask Stripe and payOS about payments stuck pending, and
list the bank transfers and payments that do not match."""

from __future__ import annotations

from collections import Counter

import click
from flask.cli import AppGroup

from storefront.domain.payments.card import reconcile_payments
from storefront.domain.payments.payos import payos_mismatches, reconcile_payos
from storefront.domain.payments.payos_gateway import payos_enabled
from storefront.domain.payments.stripe_gateway import card_payments_enabled
from storefront.domain.payments.transfer import transfer_mismatches

payments_cli = AppGroup("payments", help="Card, payOS and bank transfer payments.")

MISMATCH_TITLES = {
    "unmatched": "Bank transfers matching no order (staff queue: /pfa/transfers)",
    "partly_paid_expired": "Transfer payments partly paid, past their expiry",
    "refund_open": "Refund tasks still open",
    "paid_not_placed": "Transfer payments paid whose order is not placed",
}


@payments_cli.command("reconcile")
@click.option("--min-age", default=10, show_default=True, help="Minutes a payment waits first.")
def reconcile_command(min_age: int) -> None:
    """Apply Stripe's and payOS's answers for stuck payments, retry refunds owed, close the
    payOS links of cancelled orders (idempotent); then list payOS money a person has to look
    at, and the bank transfers and payments that do not match (read only)."""
    if not card_payments_enabled():
        click.echo("Stripe is not configured (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET).")
    if not payos_enabled():
        click.echo("payOS is not configured (PAYOS_CLIENT_ID, PAYOS_API_KEY, PAYOS_CHECKSUM_KEY).")
    counts = reconcile(min_age)
    if not counts:
        click.echo("card and payOS payments: nothing to reconcile")
    for outcome, count in sorted(counts.items()):
        click.echo(f"{outcome}: {count}")
    for mismatch in payos_mismatches():
        click.echo(f"payOS mismatch: order {mismatch.order_number}: {mismatch.reason}")
    mismatches = transfer_mismatches()
    if not mismatches:
        click.echo("bank transfers: everything matches")
        return
    for kind, title in MISMATCH_TITLES.items():
        rows = [m for m in mismatches if m.kind == kind]
        if not rows:
            continue
        click.echo(f"{title}: {len(rows)}")
        for m in rows:
            click.echo(f"  #{m.id} {m.amount} đồng  {m.detail}")


def reconcile(min_age: int) -> Counter[str]:
    """The command's work on stuck payments (Stripe, payOS, whichever is configured), also run
    by `flask jobs scheduler`: how many payments came to each outcome."""
    counts: Counter[str] = Counter()
    if card_payments_enabled():
        counts.update(reconcile_payments(min_age_minutes=min_age))
    if payos_enabled():
        counts.update(reconcile_payos(min_age_minutes=min_age))
    return counts
