"""Structured data for search engines: schema.org Product with offers in VND."""

from __future__ import annotations

from storefront.core import clock
from storefront.core.urls import external_url
from storefront.models import Listing


def product_jsonld(listing: Listing) -> dict:
    prices = [package.price for package in listing.packages]
    in_stock = any(package.stock > 0 for package in listing.packages)
    preorder = any(package.preorder for package in listing.packages)
    availability = (
        "https://schema.org/InStock"
        if in_stock
        else "https://schema.org/PreOrder" if preorder else "https://schema.org/OutOfStock"
    )
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": listing.name,
        "url": external_url("catalog.product", slug=listing.slug),
        "description": " ".join(listing.description.split())[:500],
        "brand": {"@type": "Organization", "name": listing.cooperative.legal_name},
        "offers": {
            "@type": "AggregateOffer",
            "priceCurrency": "VND",
            "lowPrice": min(prices) if prices else 0,
            "highPrice": max(prices) if prices else 0,
            "offerCount": len(prices),
            "availability": availability,
        },
    }
    if listing.images:
        data["image"] = [
            external_url("main.media", filename=f"listings/{image.filename}-gallery.webp")
            for image in listing.images
        ]
    cert = listing.certificate
    if cert is not None and cert.is_valid(clock.today()):
        data["award"] = f"OCOP {cert.stars}★ ({cert.number})"
    return data
