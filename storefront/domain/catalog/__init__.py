"""storefront/domain/catalog."""
