"""Shipping fees: one shipment per cooperative, priced by weight bracket and zone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SAME_PROVINCE = "same_province"
OTHER_PROVINCE = "other_province"
BRACKET_GRAMS = 500


@dataclass(frozen=True)
class ShippingRates:
    first_500g: Mapping[str, int]
    extra_500g: Mapping[str, int]
    free_from: int  # a shipment's subtotal from which its shipping is free; 0 turns it off

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ShippingRates:
        return cls(
            first_500g=config["SHIPPING_FIRST_500G"],
            extra_500g=config["SHIPPING_EXTRA_500G"],
            free_from=int(config["FREE_SHIPPING_FROM"]),
        )


def zone(origin_province_id: int | None, destination_province_id: int | None) -> str:
    """Same province as the cooperative, or another (also when the destination is unknown)."""
    if origin_province_id is not None and origin_province_id == destination_province_id:
        return SAME_PROVINCE
    return OTHER_PROVINCE


def shipping_fee(weight_grams: int, subtotal: int, zone_name: str, rates: ShippingRates) -> int:
    """Fee in đồng for one cooperative's shipment: first 500 g, then each started 500 g."""
    if rates.free_from and subtotal >= rates.free_from:
        return 0
    brackets = max(1, -(-weight_grams // BRACKET_GRAMS))  # ceiling division in integers
    return int(rates.first_500g[zone_name]) + (brackets - 1) * int(rates.extra_500g[zone_name])


def short_of_free_shipping(subtotal: int, rates: ShippingRates) -> int:
    """How much more a shipment's goods must cost for it to ship free, in đồng: 0 once it
    does, and 0 when the shop offers no free shipping."""
    if not rates.free_from:
        return 0
    return max(0, rates.free_from - subtotal)
