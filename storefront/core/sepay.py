"""SePay's bank-notification webhook: its API-key header and its JSON body, checked.

Pure: the caller gives the configured key, the header and the decoded JSON. SePay posts
(https://docs.sepay.vn/tich-hop-webhooks.html)::

    {"id": 92704, "gateway": "Vietcombank", "transactionDate": "2023-03-25 14:02:37",
     "accountNumber": "0123499999", "code": null, "content": "chuyen tien mua iphone",
     "transferType": "in", "transferAmount": 2277000, "accumulated": 19077000,
     "subAccount": null, "referenceCode": "MBVCB.3278907687", "description": ""}
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_AMOUNT = 10**13  # đồng; far above any transfer, below BIGINT
REQUIRED_TEXT = ("gateway", "transactionDate", "accountNumber", "content", "referenceCode")
OPTIONAL_TEXT = ("code", "subAccount", "description")
LIMITS = {
    "gateway": 100,
    "transactionDate": 40,
    "accountNumber": 40,
    "code": 64,
    "referenceCode": 100,
    "content": 2000,
    "description": 4000,
    "subAccount": 40,
}


class InvalidNotification(ValueError):
    """A body that is not a SePay notification we can record: nothing was stored."""


@dataclass(frozen=True)
class BankTransfer:
    transaction_id: str
    gateway: str
    transaction_date: str
    account_number: str
    code: str
    content: str
    transfer_type: str  # "in" | "out"
    amount: int  # đồng
    reference_code: str
    description: str


def authorised(header: str | None, api_key: str) -> bool:
    """`Authorization: Apikey <key>`, the key compared in constant time; never with no key."""
    if not api_key or not header:
        return False
    scheme, _, given = header.strip().partition(" ")
    if scheme.lower() != "apikey":
        return False
    return hmac.compare_digest(given.strip().encode(), api_key.encode())


def _text(payload: Mapping[str, Any], name: str, *, required: bool) -> str:
    value = payload.get(name)
    if value is None and not required:
        return ""
    if name not in payload and required:
        raise InvalidNotification(f"missing field: {name}")
    if not isinstance(value, str):
        raise InvalidNotification(f"{name} must be a string")
    if len(value) > LIMITS[name]:
        raise InvalidNotification(f"{name} is longer than {LIMITS[name]} characters")
    if "\x00" in value:  # no database stores it; no bank writes it
        raise InvalidNotification(f"{name} contains a NUL character")
    return value


def parse_notification(payload: Any) -> BankTransfer:
    """The notification's fields, checked; InvalidNotification says what is wrong."""
    if not isinstance(payload, Mapping):
        raise InvalidNotification("the body must be a JSON object")
    if "id" not in payload:
        raise InvalidNotification("missing field: id")
    raw_id = payload["id"]
    if isinstance(raw_id, bool) or not isinstance(raw_id, (int, str)):
        raise InvalidNotification("id must be an integer or a string")
    transaction_id = str(raw_id).strip()
    if (
        not transaction_id
        or len(transaction_id) > 64
        or "\x00" in transaction_id
        or (isinstance(raw_id, int) and raw_id < 0)
    ):
        raise InvalidNotification("id must be a non-empty identifier of at most 64 characters")
    texts = {name: _text(payload, name, required=True) for name in REQUIRED_TEXT}
    optional = {name: _text(payload, name, required=False) for name in OPTIONAL_TEXT}
    if "transferType" not in payload:
        raise InvalidNotification("missing field: transferType")
    transfer_type = payload["transferType"]
    if transfer_type not in ("in", "out"):
        raise InvalidNotification('transferType must be "in" or "out"')
    if "transferAmount" not in payload:
        raise InvalidNotification("missing field: transferAmount")
    amount = payload["transferAmount"]
    # A JSON integer only: "100000", 100000.0, 100000.5, true are all refused.
    if type(amount) is not int:
        raise InvalidNotification(
            "transferAmount must be a whole number of đồng written as a JSON integer"
        )
    if amount <= 0:
        raise InvalidNotification("transferAmount must be greater than zero")
    if amount > MAX_AMOUNT:
        raise InvalidNotification("transferAmount is too large")
    return BankTransfer(
        transaction_id=transaction_id,
        gateway=texts["gateway"],
        transaction_date=texts["transactionDate"],
        account_number=texts["accountNumber"],
        code=optional["code"],
        content=texts["content"],
        transfer_type=transfer_type,
        amount=amount,
        reference_code=texts["referenceCode"],
        description=optional["description"],
    )
