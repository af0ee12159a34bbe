"""Vietnamese phone numbers as people type them."""

from __future__ import annotations

import pytest

from storefront.core.errors import InvalidPhone
from storefront.core.phones import normalize_vn_phone


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("091.234.5678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("+84 912-345-678", "0912345678"),
        ("912345678", None),
        ("09123456789", None),
        ("0012345678", None),
        ("+840912345678", None),
        ("+8491234567", None),
        ("091234567a", None),
        ("", None),
    ],
)
def test_vietnamese_phone_numbers(app, raw, expected):
    with app.test_request_context("/"):
        if expected is None:
            with pytest.raises(InvalidPhone):
                normalize_vn_phone(raw)
        else:
            assert normalize_vn_phone(raw) == expected
