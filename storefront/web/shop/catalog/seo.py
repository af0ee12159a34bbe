"""Structured data for search engines: schema.org Product with offers in VND."""

from __future__ import annotations

from storefront.core import clock
from storefront.core.urls import external_url
from storefront.models import Listing
from storefront.web.shop.catalog.localized import in_english, listing_name


def _availability(in_stock: bool, preorder: bool) -> str:
    if in_stock:
        return "https://schema.org/InStock"
    return "https://schema.org/PreOrder" if preorder else "https://schema.org/OutOfStock"


def product_jsonld(listing: Listing) -> dict:
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
    return data
