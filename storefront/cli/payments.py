"""`flask --app wsgi payments reconcile`: ask Stripe and payOS about payments stuck pending."""

from __future__ import annotations

from collections import Counter

import click
from flask.cli import AppGroup

from storefront.domain.payments.card import reconcile_payments
from storefront.domain.payments.payos import payos_mismatches, reconcile_payos
from storefront.domain.payments.payos_gateway import payos_enabled
from storefront.domain.payments.stripe_gateway import card_payments_enabled

payments_cli = AppGroup("payments", help="Card and payOS payments.")


@payments_cli.command("reconcile")
@click.option("--min-age", default=10, show_default=True, help="Minutes a payment waits first.")
def reconcile_command(min_age: int) -> None:
    """Apply Stripe's and payOS's answers for stuck payments, retry refunds owed, close the
    payOS links of cancelled orders, and list payOS money a person has to look at
    (idempotent)."""
    counts: Counter[str] = Counter()
    if card_payments_enabled():
        counts.update(reconcile_payments(min_age_minutes=min_age))
    else:
        click.echo("Stripe is not configured (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET).")
    if payos_enabled():
        counts.update(reconcile_payos(min_age_minutes=min_age))
    else:
        click.echo("payOS is not configured (PAYOS_CLIENT_ID, PAYOS_API_KEY, PAYOS_CHECKSUM_KEY).")
    if not counts:
        click.echo("nothing to reconcile")
    for outcome, count in sorted(counts.items()):
        click.echo(f"{outcome}: {count}")
    for mismatch in payos_mismatches():
        click.echo(f"payOS mismatch: order {mismatch.order_number}: {mismatch.reason}")
