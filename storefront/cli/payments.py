"""`flask --app wsgi payments reconcile`: ask Stripe about payments stuck pending."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from storefront.domain.payments.card import reconcile_payments
from storefront.domain.payments.stripe_gateway import card_payments_enabled

payments_cli = AppGroup("payments", help="Card payments.")


@payments_cli.command("reconcile")
@click.option("--min-age", default=10, show_default=True, help="Minutes a payment waits first.")
def reconcile_command(min_age: int) -> None:
    """Apply Stripe's answer for stuck card payments and retry refunds owed (idempotent)."""
    if not card_payments_enabled():
        click.echo("Stripe is not configured (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET).")
        return
    counts = reconcile_payments(min_age_minutes=min_age)
    if not counts:
        click.echo("nothing to reconcile")
    for outcome, count in sorted(counts.items()):
        click.echo(f"{outcome}: {count}")
