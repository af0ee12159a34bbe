"""storefront/domain/certificates."""
