"""storefront/domain/console."""
