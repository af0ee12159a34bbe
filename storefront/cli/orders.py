"""`flask --app wsgi orders expire-unpaid`: cancel card and bank transfer orders nobody paid
for."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from storefront.domain.orders.lifecycle import expire_unpaid_orders

orders_cli = AppGroup("orders", help="Orders.")


@orders_cli.command("expire-unpaid")
def expire_unpaid_command() -> None:
    """Cancel and restock card orders whose checkout page expired unpaid, and bank transfer
    orders whose hold ran out with nothing received (idempotent)."""
    numbers = expire_unpaid_orders()
    for number in numbers:
        click.echo(f"expired {number}")
    click.echo(f"{len(numbers)} unpaid order(s) cancelled")
