"""`flask --app wsgi payments reconcile`: ask Stripe about payments stuck pending, and list
the bank transfers and payments that do not match."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from storefront.domain.payments.card import reconcile_payments
from storefront.domain.payments.stripe_gateway import card_payments_enabled
from storefront.domain.payments.transfer import transfer_mismatches

payments_cli = AppGroup("payments", help="Card payments and bank transfers.")

MISMATCH_TITLES = {
    "unmatched": "Bank transfers matching no order (staff queue: /pfa/transfers)",
    "partly_paid_expired": "Transfer payments partly paid, past their expiry",
    "refund_open": "Refund tasks still open",
    "paid_not_placed": "Transfer payments paid whose order is not placed",
}


@payments_cli.command("reconcile")
@click.option("--min-age", default=10, show_default=True, help="Minutes a payment waits first.")
def reconcile_command(min_age: int) -> None:
    """Apply Stripe's answer for stuck card payments and retry refunds owed (idempotent),
    then list the bank transfers and payments that do not match (read only)."""
    if card_payments_enabled():
        counts = reconcile_payments(min_age_minutes=min_age)
        if not counts:
            click.echo("card payments: nothing to reconcile")
        for outcome, count in sorted(counts.items()):
            click.echo(f"{outcome}: {count}")
    else:
        click.echo("Stripe is not configured (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET).")
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
