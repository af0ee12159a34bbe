"""The operator's VietQR collection account, read from the settings (VIETQR_BANK_BIN,
VIETQR_ACCOUNT_NUMBER, VIETQR_ACCOUNT_NAME).

In core so that every layer that shows it (the order page, the order e-mails, the payment
code) reads it the same way; domain/payments/vietqr.py re-exports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app

from storefront.core import vietqr
from storefront.core.vn_banks import Bank, bank_by_bin


@dataclass(frozen=True)
class CollectionAccount:
    bank_bin: str
    account_number: str
    account_name: str  # the holder, shown beside the QR for the buyer to check
    bank: Bank | None  # None: a BIN the list does not name yet (the QR still works)


def collection_account(config: Mapping[str, Any] | None = None) -> CollectionAccount | None:
    """The configured account, or None when any of the three settings is empty or invalid
    (an invalid BIN or account number would make every QR unpayable: better not offered)."""
    config = config if config is not None else current_app.config
    bank_bin = str(config.get("VIETQR_BANK_BIN") or "").strip()
    number = str(config.get("VIETQR_ACCOUNT_NUMBER") or "").strip()
    name = str(config.get("VIETQR_ACCOUNT_NAME") or "").strip()
    if not (bank_bin and number and name):
        return None
    try:
        vietqr.validate(bank_bin, number, 1, "X")
    except vietqr.VietQRError:
        return None
    return CollectionAccount(bank_bin, number, name, bank_by_bin(bank_bin))
