"""storefront/domain."""
