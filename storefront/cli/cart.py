"""`flask --app wsgi cart purge-guest-carts`: forget guest carts nobody came back to."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from storefront.domain.cart import purge_guest_carts_older_than

cart_cli = AppGroup("cart", help="Guest carts.")


@cart_cli.command("purge-guest-carts")
@click.option("--days", default=30, show_default=True, help="Untouched for this many days.")
def purge_guest_carts(days: int) -> None:
    """Delete guest carts untouched for --days (customers' carts stay); idempotent."""
    deleted = purge_guest_carts_older_than(timedelta(days=days))
    click.echo(f"{deleted} guest cart(s) deleted")
