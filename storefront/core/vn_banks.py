"""Vietnamese banks that take VietQR transfers (NAPAS 247), by acquirer BIN: the operator's
collection account and, later, the cooperatives' payout accounts are chosen from this list.

BINs and full names checked against the bank list `vietnam-qr-pay` ships
(tests/core/test_vietqr.py compares them). Add a bank here when a cooperative needs it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bank:
    bin: str  # 6-digit acquirer BIN, field 38/01/00 of a VietQR payload
    short_name: str
    name: str


BANKS: tuple[Bank, ...] = (
    Bank("970436", "Vietcombank", "Ngân hàng TMCP Ngoại Thương Việt Nam"),
    Bank("970415", "VietinBank", "Ngân hàng TMCP Công thương Việt Nam"),
    Bank("970418", "BIDV", "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam"),
    Bank("970405", "Agribank", "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam"),
    Bank("970407", "Techcombank", "Ngân hàng TMCP Kỹ thương Việt Nam"),
    Bank("970422", "MB Bank", "Ngân hàng TMCP Quân đội"),
    Bank("970416", "ACB", "Ngân hàng TMCP Á Châu"),
    Bank("970432", "VPBank", "Ngân hàng TMCP Việt Nam Thịnh Vượng"),
    Bank("970423", "TPBank", "Ngân hàng TMCP Tiên Phong"),
    Bank("970403", "Sacombank", "Ngân hàng TMCP Sài Gòn Thương Tín"),
)

BY_BIN: dict[str, Bank] = {bank.bin: bank for bank in BANKS}


def bank_by_bin(bin_: str) -> Bank | None:
    return BY_BIN.get(bin_)
