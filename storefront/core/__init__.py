"""storefront/core."""
