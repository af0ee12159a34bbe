"""`flask --app wsgi reviews remind`: the review reminder e-mails, 3 days after delivery;
safe to run from cron every hour (each shipment's reminder is claimed and sent once)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from storefront.domain.reviews.reminders import send_review_reminders

reviews_cli = AppGroup("reviews", help="Buyers' reviews.")


@reviews_cli.command("remind")
def remind_command() -> None:
    """E-mail buyers whose parcel was delivered 3 days ago a review link per product."""
    click.echo(remind())


def remind() -> str:
    """The command's work, also run by `flask jobs scheduler`."""
    run = send_review_reminders()
    return f"shipments claimed: {run.claimed}, reminders queued: {run.mailed}"
