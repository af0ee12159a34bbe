"""storefront/domain/payments."""
