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


@search_cli.command("explain")
@click.argument("text")
@click.option("--limit", default=5, show_default=True, help="How many results to explain.")
def explain_command(text: str, limit: int) -> None:
    """Search TEXT and show how it was understood and why each result ranks where it does:
    the score and its parts (field, exact/folded/fuzzy/prefix, pair, head-noun and place
    bonuses, cover), the tie-breakers and the matching pass that produced the results."""
    from storefront.extensions import db
    from storefront.models import Listing
    from storefront.search import SearchQuery, explain

    try:
        explanation = explain(SearchQuery(text=text, per_page=max(1, limit), facets=False))
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error
    for line in explanation.header():
        click.echo(line)
    ids = [hit.listing_id for hit in explanation.hits]
    rows = db.session.execute(select(Listing.id, Listing.name).where(Listing.id.in_(ids)))
    names = {listing_id: name for listing_id, name in rows}
    for rank, hit in enumerate(explanation.hits, start=1):
        click.echo(f"{rank}. #{hit.listing_id} {names.get(hit.listing_id, '?')}")
        for line in hit.lines():
            click.echo(f"   {line}")
