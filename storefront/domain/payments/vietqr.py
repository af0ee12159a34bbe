"""Bank transfer by VietQR: the operator's collection account, read from the settings.

The payload and its image are pure (core/vietqr.py); this module only knows where the
account comes from. Checkout, the order page and the bank-notification webhook build on it.
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


def transfer_payments_enabled(config: Mapping[str, Any] | None = None) -> bool:
    """Bank transfer is offered only when the collection account is fully configured."""
    return collection_account(config) is not None


def transfer_payload(account: CollectionAccount, amount: int, payment_code: str) -> str:
    """The VietQR string paying `amount` đồng with `payment_code` into the collection account."""
    return vietqr.build_payload(account.bank_bin, account.account_number, amount, payment_code)
