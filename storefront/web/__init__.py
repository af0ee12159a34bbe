"""storefront/web."""
