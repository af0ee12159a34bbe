"""`flask search ...`: rebuild the index, see its state."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

search_cli = AppGroup("search", help="The catalog search index.")


@search_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the index from every public listing (searches keep working meanwhile)."""
    from storefront.domain.catalog.visibility import public_listings
    from storefront.extensions import db
    from storefront.search import reindex_all

    total = db.session.scalar(select(func.count()).select_from(public_listings().subquery())) or 0
    db.session.remove()  # the rebuild reads in a session of its own; hold no transaction
    with click.progressbar(length=total, label="Indexing public listings") as bar:
        count = reindex_all(progress=bar.update)
    click.echo(f"{count} listings indexed.")


@search_cli.command("status")
def status_command() -> None:
    """Show where the index is, how many listings it holds and how many updates wait
    (Whoosh; the PostgreSQL backend queues nothing)."""
    from storefront.search import engine
    from storefront.search.whoosh_engine import WhooshSearchIndex

    index = engine()
    if isinstance(index, WhooshSearchIndex):
        click.echo(f"directory: {index.directory}")
    else:
        click.echo("backend:   postgres (search_documents)")
    click.echo(f"listings:  {index.doc_count()}")
    if isinstance(index, WhooshSearchIndex):
        click.echo(f"queued:    {len(index.pending.files())} update file(s)")
