"""`flask --app wsgi cart purge-guest-carts`: forget guest carts nobody came back to."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import delete, exists, select

from storefront.extensions import db
from storefront.models import Cart, CartLine, utcnow

cart_cli = AppGroup("cart", help="Guest carts.")


@cart_cli.command("purge-guest-carts")
@click.option("--days", default=30, show_default=True, help="Untouched for this many days.")
def purge_guest_carts(days: int) -> None:
    """Delete guest carts untouched for --days (customers' carts stay); idempotent."""
    cutoff = utcnow() - timedelta(days=days)
    stale = list(
        db.session.scalars(
            select(Cart.id).where(
                Cart.user_id.is_(None),
                Cart.updated_at < cutoff,
                ~exists().where(CartLine.cart_id == Cart.id, CartLine.updated_at >= cutoff),
            )
        )
    )
    # Lines first: SQLite does not enforce ON DELETE CASCADE unless told to.
    db.session.execute(delete(CartLine).where(CartLine.cart_id.in_(stale)))
    db.session.execute(delete(Cart).where(Cart.id.in_(stale)))
    db.session.commit()
    click.echo(f"{len(stale)} guest cart(s) deleted")
