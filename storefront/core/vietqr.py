"""VietQR (NAPAS 247) payloads: the EMVCo merchant-presented-mode string a Vietnamese banking
app reads to pre-fill a bank transfer (bank, account, amount, payment code), and its QR image.

Pure functions of their arguments: no app, no database. The collection account comes from the
settings (domain/payments/vietqr.py); the order gives the amount and its payment code.

The string is a sequence of TLV fields, `ID (2 digits) + length (2 digits) + value`:

    00 payload format indicator "01"
    01 point of initiation "12" (dynamic: this amount, this order)
    38 merchant account information (NAPAS):
       00 GUID "A000000727"
       01 beneficiary organisation: 00 acquirer BIN (6 digits), 01 account number
       02 service code "QRIBFTTA" (transfer to an account)
    53 currency "704" (VND)
    54 amount in đồng, an integer
    58 country "VN"
    62 additional data: 08 purpose of transaction = the payment code
    63 CRC-16/CCITT-FALSE over everything before it including "6304", 4 upper-case hex digits
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import segno

NAPAS_GUID = "A000000727"
SERVICE_TRANSFER_TO_ACCOUNT = "QRIBFTTA"
CURRENCY_VND = "704"
COUNTRY_VN = "VN"
MAX_AMOUNT = 9_999_999_999  # 13 characters fit field 54; NAPAS limits are far below

# Crockford's base32: no I, L, O or U, so nobody types 1 for I or 0 for O.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_PREFIX = "OCOP"
CODE_RANDOM_LENGTH = 6  # 32**6 ≈ 1.07 billion codes

_BIN = re.compile(r"[0-9]{6}")
_ACCOUNT = re.compile(r"[0-9A-Za-z]{1,19}")
_CODE = re.compile(r"[A-Z0-9]{1,25}")


class VietQRError(ValueError):
    """Bad input for a VietQR payload: nothing was built."""


class InvalidBankBin(VietQRError):
    pass


class InvalidAccountNumber(VietQRError):
    pass


class InvalidAmount(VietQRError):
    pass


class InvalidPaymentCode(VietQRError):
    pass


@dataclass(frozen=True)
class TransferRequest:
    """One transfer the buyer's banking app pre-fills."""

    bank_bin: str
    account_number: str
    amount: int  # đồng
    payment_code: str

    def __post_init__(self) -> None:
        validate(self.bank_bin, self.account_number, self.amount, self.payment_code)


def validate(bank_bin: str, account_number: str, amount: int, payment_code: str) -> None:
    if not isinstance(bank_bin, str) or not _BIN.fullmatch(bank_bin):
        raise InvalidBankBin(f"bank BIN must be 6 digits, got {bank_bin!r}")
    if not isinstance(account_number, str) or not _ACCOUNT.fullmatch(account_number):
        raise InvalidAccountNumber(
            f"account number must be 1 to 19 digits or Latin letters, got {account_number!r}"
        )
    # bool is an int in Python; an amount of True is a bug, not one đồng.
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidAmount(f"amount must be an integer number of đồng, got {amount!r}")
    if not 1 <= amount <= MAX_AMOUNT:
        raise InvalidAmount(f"amount must be between 1 and {MAX_AMOUNT:,} đồng, got {amount}")
    if not isinstance(payment_code, str) or not _CODE.fullmatch(payment_code):
        raise InvalidPaymentCode(
            f"payment code must be 1 to 25 characters A-Z or 0-9, got {payment_code!r}"
        )


def crc16_ccitt_false(data: str) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial 0xFFFF, no reflection, no final XOR."""
    crc = 0xFFFF
    for byte in data.encode("ascii"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def field(tag: str, value: str) -> str:
    """One TLV field; the length is two decimal digits, so a value is at most 99 characters."""
    if len(value) > 99:
        raise VietQRError(f"field {tag} is {len(value)} characters, at most 99 fit")
    return f"{tag}{len(value):02d}{value}"


def with_crc(body: str) -> str:
    """Append field 63: its ID and length are part of what the CRC covers."""
    signed = body + "6304"
    return f"{signed}{crc16_ccitt_false(signed):04X}"


def payload(request: TransferRequest) -> str:
    """The VietQR string for one transfer (validated when the request was made)."""
    beneficiary = field("00", request.bank_bin) + field("01", request.account_number)
    merchant_account = (
        field("00", NAPAS_GUID)
        + field("01", beneficiary)
        + field("02", SERVICE_TRANSFER_TO_ACCOUNT)
    )
    body = (
        field("00", "01")
        + field("01", "12")
        + field("38", merchant_account)
        + field("53", CURRENCY_VND)
        + field("54", str(request.amount))
        + field("58", COUNTRY_VN)
        + field("62", field("08", request.payment_code))
    )
    return with_crc(body)


def build_payload(bank_bin: str, account_number: str, amount: int, payment_code: str) -> str:
    """Validate, then build; bad input raises a VietQRError subclass."""
    return payload(TransferRequest(bank_bin, account_number, amount, payment_code))


def new_payment_code(is_taken: Callable[[str], bool] | None = None, *, attempts: int = 10) -> str:
    """A short code for the transfer's content, e.g. "OCOP7K2Q9M": the prefix lets the
    bank-notification matcher find it in a mangled transfer description. `is_taken` asks the
    caller's store whether a code is in use (a unique constraint must still back it)."""
    for _ in range(attempts):
        code = CODE_PREFIX + "".join(
            secrets.choice(CODE_ALPHABET) for _ in range(CODE_RANDOM_LENGTH)
        )
        if is_taken is None or not is_taken(code):
            return code
    raise RuntimeError(f"no free payment code after {attempts} attempts")


def qr_code(data: str) -> segno.QRCode:
    """Error correction M, as banks print theirs; never a Micro QR (banking apps skip them)."""
    return segno.make(data, error="m", micro=False)


def render_svg(data: str, *, scale: int = 4, title: str | None = None) -> bytes:
    buffer = io.BytesIO()
    qr_code(data).save(
        buffer,
        kind="svg",
        scale=scale,
        border=4,
        xmldecl=False,
        svgns=True,
        title=title,
        svgclass="qr",
        lineclass=None,
    )
    return buffer.getvalue()


def render_png(data: str, *, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    qr_code(data).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
