"""`flask --app wsgi orders expire-unpaid`: cancel card orders nobody paid for."""

from __future__ import annotations

import click

from storefront.orders import bp
from storefront.orders.services import expire_unpaid_orders


@bp.cli.command("expire-unpaid")
def expire_unpaid_command() -> None:
    """Cancel and restock card orders whose checkout page expired unpaid (idempotent)."""
    numbers = expire_unpaid_orders()
    for number in numbers:
        click.echo(f"expired {number}")
    click.echo(f"{len(numbers)} unpaid order(s) cancelled")
