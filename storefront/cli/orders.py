"""`flask --app wsgi orders expire-unpaid`: cancel card, bank transfer and payOS orders nobody
paid for."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from storefront.domain.orders.lifecycle import expire_unpaid_orders
from storefront.domain.payments.payos import expire_unpaid_payos_orders
from storefront.domain.payments.payos_gateway import payos_enabled

orders_cli = AppGroup("orders", help="Orders.")


@orders_cli.command("expire-unpaid")
def expire_unpaid_command() -> None:
    """Cancel and restock card and payOS orders whose payment page expired unpaid (payOS is
    asked first, so a paid order whose webhook was lost is not cancelled), and bank transfer
    orders whose hold ran out with nothing received (idempotent)."""
    numbers = expire_unpaid()
    for number in numbers:
        click.echo(f"expired {number}")
    click.echo(f"{len(numbers)} unpaid order(s) cancelled")


def expire_unpaid() -> list[str]:
    """The command's work, also run by `flask jobs scheduler`: the orders cancelled."""
    numbers = expire_unpaid_orders()
    if payos_enabled():
        numbers += expire_unpaid_payos_orders()
    return numbers
