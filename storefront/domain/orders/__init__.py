"""storefront/domain/orders."""
