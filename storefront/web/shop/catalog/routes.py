"""Catalog pages: home, product list and search, product, cooperative, origins, sitemap."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from storefront.core import clock
from storefront.core.formatting import format_number
from storefront.core.urls import external_url
from storefront.domain.catalog.browse import (
    browse,
    count_matching,
    explain_page,
    newest_cards,
    related_cards,
)
from storefront.domain.catalog.cooperative_page import cooperative_page
from storefront.domain.catalog.params import PAGE_PARAMETERS, parse_catalog_args
from storefront.domain.catalog.queries import (
    listing_for_view,
    origin_tree,
    sitemap_entries,
)
from storefront.domain.catalog.reviews import (
    AlreadyVoted,
    cooperative_ratings,
    parse_review_args,
    review_page,
    vote_helpful,
)
from storefront.domain.catalog.stats import summary_of
from storefront.domain.catalog.suggest import suggest as suggestions_for
from storefront.domain.catalog.typed_filters import rewritten_args
from storefront.domain.catalog.version import current as current_version
from storefront.extensions import csrf
from storefront.search import explain_enabled
from storefront.web.catalog_cache import cached_fragment
from storefront.web.http_cache import has_valid_token, is_cross_site
from storefront.web.page_cache import anonymous_page_key, cached_page, store_page
from storefront.web.ratelimits import post_limit
from storefront.web.redirects import safe_next
from storefront.web.shop.catalog import bp
from storefront.web.visitor import visitor_key


@bp.get("/")
def home():
    cards, total = newest_cards(12)
    return render_template("catalog/home.html", listings=cards, public_count=total)


@bp.get("/products")
def products():
    return _catalog_page("catalog.products")


@bp.get("/search")
def search():
    return _catalog_page("catalog.search")


@bp.get("/search/count")
def count():
    """How many products the catalog lists for these filters (the same parameters as /products
    and /search): the phone filter sheet shows it on its button as the shopper ticks boxes."""
    total, estimated = count_matching(parse_catalog_args(request.args))
    response = jsonify(
        total=total,
        estimated=estimated,
        label=_("Show about %(num)s products", num=format_number(total))
        if estimated
        else ngettext("Show %(num)d product", "Show %(num)d products", total),
    )
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/search/suggest")
def suggest():
    """Suggestions under the header search box (static/js/suggest.js): at most five public
    products, three approved cooperatives and three places for `?q=`, as JSON. The same for
    everyone, so shared caches may keep it a minute; it sets no cookie."""
    found = suggestions_for(request.args.get("q"))
    response = jsonify(
        products=[
            {"name": p.name, "url": url_for("catalog.product", slug=p.slug), "stars": p.stars}
            for p in found.products
        ],
        cooperatives=[
            {"name": name, "url": url_for("catalog.cooperative", slug=slug)}
            for name, slug in found.cooperatives
        ],
        places=[
            {"name": name, "url": url_for("catalog.products", province=code)}
            for name, code in found.places
        ],
    )
    response.cache_control.public = True
    response.cache_control.max_age = 60
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _typed_filters_url() -> str | None:
    """Where a search whose text asks for stars, a price or an order, or says "OCOP", is sent
    (typed_filters.rewritten_args): the same search with those filters chosen, or the
    catalog when nothing else was typed. None for any other text."""
    args: dict[str, Any] | None = rewritten_args(request.args)
    if args is None:
        return None
    # (Only the page's own parameters reach url_for, whose own arguments, "_external" or
    # "_anchor", must not come from a URL.)
    return url_for("catalog.search" if "q" in args else "catalog.products", **args)


def page_args() -> dict[str, list[str]]:
    """This catalog page's query parameters that it reads itself (PAGE_PARAMETERS), for its
    links: any other name is dropped, since url_for takes some as its own arguments
    ("_external", "_anchor": a 500, or a link to elsewhere)."""
    return {k: v for k, v in request.args.lists() if k in PAGE_PARAMETERS}


def _catalog_page(endpoint: str):
    if (to := _typed_filters_url()) is not None:
        return redirect(to)
    if request.args.get("explain") and explain_enabled():
        return _explained_page(endpoint, parse_catalog_args(request.args))
    # What the page shows follows from these alone. The catalog version stands for the
    # listings: each was checked against the database when the cached copy was made, and no
    # commit that could hide it or change its card has happened since (a commit that could
    # moves the version on); the date stands for certificates expiring at midnight.
    fragment_key = (
        endpoint,
        str(get_locale()),
        tuple(sorted((k, v) for k, v in request.args.items(multi=True) if k != "lang")),
        clock.today(),
        current_version(),
    )
    page_key = anonymous_page_key(fragment_key)
    if (html := cached_page(page_key)) is not None:
        return html
    # Parsed only now: a cached page was made from the same arguments.
    params = parse_catalog_args(request.args)
    cached_body = cached_fragment(fragment_key)
    html = render_template(
        "catalog/products.html",
        params=params,
        page=None if cached_body else browse(params, current_app.config["CATALOG_PAGE_SIZE"]),
        endpoint=endpoint,
        fragment_key=fragment_key,
        cached_body=cached_body,
    )
    return store_page(page_key, html)


def _explained_page(endpoint: str, params):
    """The catalog page with each card's score taken apart under it (?explain=1 in
    development, see storefront.search.explain_enabled): never from or into a cache."""
    per_page = current_app.config["CATALOG_PAGE_SIZE"]
    explanation = explain_page(params, per_page)
    response = current_app.make_response(
        render_template(
            "catalog/products.html",
            params=params,
            page=browse(params, per_page),
            endpoint=endpoint,
            fragment_key=None,
            cached_body=None,
            explanation=explanation,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/products/<slug>")
def product(slug: str):
    # A public product page is the same for every anonymous visitor while the catalog version
    # stands (a preview is only ever shown to a logged-in owner or PFA staff).
    page_key = anonymous_page_key(
        ("product", slug, str(get_locale()), clock.today(), current_version())
    )
    if (html := cached_page(page_key)) is not None:
        return html
    view = listing_for_view(slug, current_user)
    related = [] if view.preview else related_cards(view.listing)
    # The query string is part of the page key: each sort and page of reviews is its own page.
    sort, number = parse_review_args(request.args.get("reviews"), request.args.get("rpage"))
    reviews = review_page(view.listing.id, summary_of(view.stats), sort, number)
    html = render_template(
        "catalog/product.html",
        listing=view.listing,
        preview=view.preview,
        related=related,
        reviews=reviews,
    )
    return html if view.preview else store_page(page_key, html)


# --- "Hữu ích": a visitor's helpful vote on a review, from a page a CDN may cache --------------
# As add-to-cart (web/shop/cart/routes.py): the public page carries no CSRF token;
# static/js/reviews.js fetches one (/cart/token) when the visitor reaches for the button and
# sends the vote with it (JSON answer, the count updated in place). Without JavaScript, or with
# a token that is not this visitor's, nothing is counted and the answer is a page asking to
# confirm, with a fresh token. A request a browser marks as cross-site is refused outright.


def _votes_limited() -> str:
    return _("Too many votes from your network. Please try again later.")


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.errorhandler(RateLimitExceeded)
def too_many_votes(error: RateLimitExceeded):
    if _wants_json():
        return jsonify(error="rate_limited", message=error.description), 429
    return render_template("errors/error.html", status=429, message=error.description), 429


@csrf.exempt
@bp.post("/reviews/<int:review_id>/helpful")
@post_limit("REVIEW_VOTE_RATE_LIMIT", get_remote_address, _votes_limited)
def review_helpful(review_id: int):
    # CSRF: checked here, not by CSRFProtect (see above).
    if is_cross_site():
        abort(403)
    back = safe_next(request.form.get("next"), url_for("catalog.home"))
    if not has_valid_token():
        if _wants_json():
            return jsonify(error="csrf", message=_("Please try again.")), 400
        response = make_response(
            render_template(
                "catalog/confirm_vote.html",
                review_id=review_id,
                next_url=back,
                token=generate_csrf(),
            )
        )
        response.headers["Cache-Control"] = "no-store"
        return response
    try:
        count = vote_helpful(review_id, visitor_key() or "")
    except AlreadyVoted as error:
        if _wants_json():
            return jsonify(error=error.code, message=error.message), error.status
        flash(error.message, "info")
        return redirect(f"{back}#review-{review_id}", code=303)
    message = _("Thank you: your vote is counted.")
    if _wants_json():
        return jsonify(count=count, message=message, label=helpful_label(count))
    flash(message, "info")
    return redirect(f"{back}#review-{review_id}", code=303)


def helpful_label(count: int) -> str:
    """The helpful button's count, as the page shows it."""
    return ngettext("%(num)d found this helpful", "%(num)d found this helpful", count)


@bp.get("/cooperatives/<slug>")
def cooperative(slug: str):
    # Like a product page: the same for every anonymous visitor while the catalog version
    # stands (its logo, story, certificates and listings all move the version on); a
    # preview of a cooperative not yet approved is only ever shown to a logged-in member.
    page_key = anonymous_page_key(
        ("cooperative", slug, str(get_locale()), clock.today(), current_version())
    )
    if (html := cached_page(page_key)) is not None:
        return html
    view = cooperative_page(slug, current_user)
    html = render_template(
        "catalog/cooperative.html",
        view=view,
        cooperative=view.cooperative,
        ratings=cooperative_ratings(view.cooperative.id),
    )
    return html if view.preview else store_page(page_key, html)


@bp.get("/origins")
def origins():
    return render_template("catalog/origins.html", provinces=origin_tree())


@bp.get("/sitemap.xml")
def sitemap():
    listings, cooperatives = sitemap_entries()
    xml = render_template("catalog/sitemap.xml", listings=listings, cooperatives=cooperatives)
    return Response(xml, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    lines = [
        "User-agent: *",
        "Disallow: /cart",
        "Disallow: /checkout",
        "Disallow: /account",
        "Disallow: /seller",
        "Disallow: /pfa",
        f"Sitemap: {external_url('catalog.sitemap')}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")
