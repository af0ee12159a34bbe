"""storefront/web/shop."""
