"""storefront/domain/cooperatives."""
