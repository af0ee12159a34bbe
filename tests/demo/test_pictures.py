"""The demo's product pictures."""

from __future__ import annotations

from storefront.demo.pictures import LOOKS, render_product_picture


def test_every_look_draws_a_picture_with_vietnamese_text():
    for look in LOOKS:
        image = render_product_picture("Bột gấc đông lạnh", 4, look, subtitle="Vân Hà · Bắc Ninh")
        assert image.size == (800, 600) and image.mode == "RGB"
