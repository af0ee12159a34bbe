"""Structured data for search engines: schema.org Product with offers in VND, and buyers'
ratings (AggregateRating, Review) when the product has visible reviews."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from storefront.core import clock
from storefront.core.urls import external_url
from storefront.domain.catalog.reviews import ReviewPage
from storefront.models import Listing, Review
from storefront.web.shop.catalog.localized import in_english, listing_name


def _availability(in_stock: bool, preorder: bool) -> str:
    if in_stock:
        return "https://schema.org/InStock"
    return "https://schema.org/PreOrder" if preorder else "https://schema.org/OutOfStock"


def shop_date(moment: datetime) -> date:
    """The shop's date (Vietnam) of a stored moment (UTC; naive as SQLite gives it back)."""
    return clock.today(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _rating(value: float | int) -> dict[str, Any]:
    return {"@type": "Rating", "ratingValue": value, "bestRating": 5, "worstRating": 1}


def review_jsonld(review: Review) -> dict[str, Any]:
    """A visible review as a schema.org Review (no photos, no answer: those stay on the page)."""
    data: dict[str, Any] = {
        "@type": "Review",
        "author": {"@type": "Person", "name": review.author_name},
        "datePublished": shop_date(review.created_at).isoformat(),
        "reviewRating": _rating(review.rating),
    }
    if review.body:
        data["reviewBody"] = review.body
    return data


def product_jsonld(listing: Listing, reviews: ReviewPage | None = None) -> dict:
    url = external_url("catalog.product", slug=listing.slug)
    prices = [package.price for package in listing.packages]
    availability = _availability(
        any(package.stock > 0 for package in listing.packages),
        any(package.preorder for package in listing.packages),
    )
    # One offer per package, as the page shows them (the same cached page, so the same
    # availability words: never the exact stock).
    offers = [
        {
            "@type": "Offer",
            "name": package.label,
            "price": package.price,
            "priceCurrency": "VND",
            "availability": _availability(package.stock > 0, package.preorder),
            "url": url,
        }
        for package in listing.packages
    ]
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": listing_name(listing),
        "url": url,
        "description": (listing.summary_en if in_english() else "")
        or " ".join(listing.description.split())[:500],
        "brand": {"@type": "Organization", "name": listing.cooperative.legal_name},
        "offers": {
            "@type": "AggregateOffer",
            "priceCurrency": "VND",
            "lowPrice": min(prices) if prices else 0,
            "highPrice": max(prices) if prices else 0,
            "offerCount": len(prices),
            "availability": availability,
            "offers": offers,
        },
    }
    if photos := listing.ready_images:
        data["image"] = [
            external_url("main.media", filename=f"listings/{image.filename}-gallery.webp")
            for image in photos
        ]
    cert = listing.certificate
    if cert is not None and cert.is_valid(clock.today()):
        data["award"] = f"OCOP {cert.stars}★ ({cert.number})"
    # Buyers' ratings only when there are some (an AggregateRating of 0 reviews is invalid);
    # the OCOP stars above are an award, never a rating.
    if reviews is not None and reviews.summary.rating_count:
        data["aggregateRating"] = {
            **_rating(reviews.summary.tenths / 10),
            "@type": "AggregateRating",
            "ratingCount": reviews.summary.rating_count,
            "reviewCount": reviews.summary.rating_count,
        }
        if reviews.reviews:
            data["review"] = [review_jsonld(review) for review in reviews.reviews[:5]]
    return data
