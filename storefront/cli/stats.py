"""`flask --app wsgi stats rebuild`: recompute listings' ratings and sold counts from the rows."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from storefront.domain.catalog.stats import rebuild_stats

stats_cli = AppGroup("stats", help="Listing stats: buyers' ratings and sold counts.")


@stats_cli.command("rebuild")
def rebuild() -> None:
    """Recompute every listing's ratings (visible reviews) and sold count (shipped and
    delivered lines) from the rows; a backfill, or a repair. Idempotent: only rows that
    differ are written, and only listings whose shown figures moved are re-indexed."""
    written = rebuild_stats()
    click.echo(f"{written} listing stats row(s) written")
