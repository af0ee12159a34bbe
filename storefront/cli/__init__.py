"""CLI commands: `flask --app wsgi locations load`, `seed-demo`, ..."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

locations_cli = AppGroup("locations", help="Vietnam's administrative units.")


@locations_cli.command("load")
def locations_load() -> None:
    """Load current and pre-2025 units from vietnam-provinces (idempotent)."""
    from storefront.domain.locations import load_admin_units

    added = load_admin_units(progress=lambda step: click.echo(f"  loading {step} ..."))
    for kind, count in added.items():
        # "successions removed" / "successions corrected": rows a re-load fixed.
        click.echo(
            f"{kind}: {count}"
            if kind.endswith(("removed", "corrected"))
            else f"{kind}: {count} added"
        )


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Load locations and the demo catalog, then print the demo accounts (idempotent)."""
    from storefront.demo import seed_demo

    report = seed_demo(progress=click.echo)
    click.echo("")
    click.echo(f"Demo accounts (password for all: {report['password']}):")
    for role, email in report["accounts"].items():
        click.echo(f"  {role:<18} {email}")


def register(app: Flask) -> None:
    from storefront.cli.cart import cart_cli
    from storefront.cli.certificates import certificates_cli
    from storefront.cli.jobs import jobs_cli
    from storefront.cli.orders import orders_cli
    from storefront.cli.payments import payments_cli
    from storefront.cli.reviews import reviews_cli
    from storefront.cli.search import search_cli
    from storefront.cli.stats import stats_cli
    from storefront.cli.users import users_cli

    app.cli.add_command(locations_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(certificates_cli)
    app.cli.add_command(cart_cli)
    app.cli.add_command(orders_cli)
    app.cli.add_command(payments_cli)
    app.cli.add_command(reviews_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(stats_cli)
    app.cli.add_command(seed_demo_command)
