"""core/vietqr: the VietQR payload, decoded by an independent parser (`vietnam-qr-pay` from
PyPI, a test dependency), its CRC, bad input refused, and the QR images."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
import segno
from PIL import Image
from vietnam_qr_pay import BanksObject, QRPay, VietQRService

from storefront.core import vietqr
from storefront.core.vn_banks import BANKS, bank_by_bin

VCB = "970436"


def parsed(content: str) -> QRPay:
    qr = QRPay(content)
    assert qr.is_valid, content  # the parser verifies the CRC before anything else
    return qr


# --- the payload, read back by someone else's parser ----------------------------------------------


@pytest.mark.parametrize(
    ("bank_bin", "account", "amount", "code"),
    [
        (VCB, "0011001234567", 150_000, "OCOP7K2Q9M"),
        ("970422", "1", 1, "A"),
        ("970415", "ABC123xyz0123456789", vietqr.MAX_AMOUNT, "Z" * 25),
        ("970405", "1234567890123456789", 2_450_500, "OCOP0000000000000000000000"[:25]),
    ],
)
def test_every_field_decodes_with_an_independent_parser(bank_bin, account, amount, code):
    content = vietqr.build_payload(bank_bin, account, amount, code)
    qr = parsed(content)
    assert qr.version == "01"
    assert qr.init_method == "12"  # dynamic: the amount is fixed
    assert qr.provider.guid == "A000000727"
    assert qr.provider.service == VietQRService.BY_ACCOUNT_NUMBER.value == "QRIBFTTA"
    assert qr.consumer.bank_bin == bank_bin
    assert qr.consumer.bank_number == account
    assert qr.amount == str(amount)
    assert qr.currency == "704"
    assert qr.nation == "VN"
    assert qr.additional_data.purpose == code
    assert qr.additional_data.bill_number is None
    assert qr.crc == content[-4:] == content[-4:].upper()
    # ...and the parser's own builder writes the very same bytes.
    theirs = QRPay.init_viet_qr(
        bank_bin=bank_bin,
        bank_number=account,
        amount=str(amount),
        purpose=code,
        service=VietQRService.BY_ACCOUNT_NUMBER,
    ).build()
    assert content == theirs


def test_a_known_payload_byte_for_byte():
    content = vietqr.build_payload(VCB, "0011001234567", 150_000, "OCOP7K2Q9M")
    assert content == (
        "000201"
        "010212"
        "3857"
        "0010A000000727"
        "0127"
        "0006970436"
        "01130011001234567"
        "0208QRIBFTTA"
        "5303704"
        "5406150000"
        "5802VN"
        "6214"
        "0810OCOP7K2Q9M"
        "6304"
        "BD9E"
    )
    assert parsed(content).crc == "BD9E"  # the independent parser agrees


def test_the_parser_libraries_published_vector_is_reproduced():
    """The README of vietnam-qr-pay decodes this string: our field and CRC functions rebuild
    it exactly (its purpose holds a space, which our payment codes never do)."""
    vector = (
        "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA"
        "5303704540410005802VN62150811Chuyen tien6304BBB8"
    )
    f = vietqr.field
    body = (
        f("00", "01")
        + f("01", "12")
        + f(
            "38",
            f("00", "A000000727")
            + f("01", f("00", "970416") + f("01", "257678859"))
            + f("02", "QRIBFTTA"),
        )
        + f("53", "704")
        + f("54", "1000")
        + f("58", "VN")
        + f("62", f("08", "Chuyen tien"))
    )
    assert vietqr.with_crc(body) == vector


def test_crc_is_ccitt_false():
    assert vietqr.crc16_ccitt_false("123456789") == 0x29B1  # the catalogued check value
    assert vietqr.crc16_ccitt_false("") == 0xFFFF


def test_a_changed_character_fails_the_crc():
    content = vietqr.build_payload(VCB, "0011001234567", 150_000, "OCOP7K2Q9M")
    tampered = content.replace("5406150000", "5406950000")
    assert not QRPay(tampered).is_valid


# --- bad input: a typed error, nothing built ------------------------------------------------------

GOOD = {
    "bank_bin": VCB,
    "account_number": "0011001234567",
    "amount": 150_000,
    "payment_code": "OCOP7K2Q9M",
}


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("bank_bin", "97043", vietqr.InvalidBankBin),
        ("bank_bin", "9704366", vietqr.InvalidBankBin),
        ("bank_bin", "97043a", vietqr.InvalidBankBin),
        ("bank_bin", "٩٧٠٤٣٦", vietqr.InvalidBankBin),  # Arabic-Indic digits are not digits here
        ("bank_bin", 970436, vietqr.InvalidBankBin),
        ("account_number", "", vietqr.InvalidAccountNumber),
        ("account_number", "1" * 20, vietqr.InvalidAccountNumber),
        ("account_number", "0011 0012", vietqr.InvalidAccountNumber),
        ("account_number", "001-100", vietqr.InvalidAccountNumber),
        ("account_number", "Đ0011", vietqr.InvalidAccountNumber),
        ("amount", 0, vietqr.InvalidAmount),
        ("amount", -5, vietqr.InvalidAmount),
        ("amount", 10_000_000_000, vietqr.InvalidAmount),
        ("amount", 1500.0, vietqr.InvalidAmount),
        ("amount", "150000", vietqr.InvalidAmount),
        ("amount", True, vietqr.InvalidAmount),
        ("payment_code", "", vietqr.InvalidPaymentCode),
        ("payment_code", "ocop7k2q9m", vietqr.InvalidPaymentCode),
        ("payment_code", "OCOP 7K2Q9M", vietqr.InvalidPaymentCode),
        ("payment_code", "A" * 26, vietqr.InvalidPaymentCode),
        ("payment_code", "ĐƠN1", vietqr.InvalidPaymentCode),
    ],
)
def test_bad_input_is_refused_with_a_typed_error(name, value, error):
    with pytest.raises(error):
        vietqr.build_payload(**{**GOOD, name: value})
    with pytest.raises(vietqr.VietQRError):  # one base class to catch, a ValueError too
        vietqr.TransferRequest(**{**GOOD, name: value})
    assert issubclass(error, ValueError)


# --- payment codes -------------------------------------------------------------------------------


def test_payment_codes_are_short_unambiguous_and_valid():
    codes = {vietqr.new_payment_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert re.fullmatch(r"OCOP[0-9A-HJKMNP-TV-Z]{6}", code)
        assert not set(code[4:]) & set("ILOU")
        vietqr.build_payload(VCB, "1", 1, code)  # accepted by the payload's own rule


def test_a_taken_code_is_drawn_again_and_the_search_gives_up():
    seen: list[str] = []

    def taken(code: str) -> bool:
        seen.append(code)
        return len(seen) < 3

    code = vietqr.new_payment_code(taken)
    assert len(seen) == 3 and code == seen[-1]
    with pytest.raises(RuntimeError):
        vietqr.new_payment_code(lambda code: True, attempts=4)


# --- banks ---------------------------------------------------------------------------------------


def test_every_bank_matches_the_parser_librarys_list():
    theirs = {bank.bin: bank for bank in BanksObject.values()}
    assert len({bank.bin for bank in BANKS}) == len(BANKS)
    for bank in BANKS:
        assert bank.bin in theirs, bank
        assert bank.name == theirs[bank.bin].name
        assert bank.short_name == theirs[bank.bin].short_name
    assert bank_by_bin(VCB).short_name == "Vietcombank"
    assert bank_by_bin("999999") is None


# --- the images ----------------------------------------------------------------------------------


def modules_of_png(png: bytes, *, scale: int, border: int) -> list[list[bool]]:
    image = Image.open(io.BytesIO(png)).convert("L")
    size = image.width // scale - 2 * border
    assert image.width == image.height == (size + 2 * border) * scale
    return [
        [
            image.getpixel(((border + x) * scale + scale // 2, (border + y) * scale + scale // 2))
            < 128
            for x in range(size)
        ]
        for y in range(size)
    ]


def test_the_png_holds_the_qr_of_the_exact_payload():
    content = vietqr.build_payload(VCB, "0011001234567", 150_000, "OCOP7K2Q9M")
    png = vietqr.render_png(content, scale=6)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    expected = segno.make(content, error="m", micro=False)
    assert expected.error == "M" and not expected.is_micro
    drawn = modules_of_png(png, scale=6, border=4)
    assert drawn == [[bool(m) for m in row] for row in expected.matrix]
    # A payload one character apart draws a different code.
    other = vietqr.build_payload(VCB, "0011001234567", 150_001, "OCOP7K2Q9M")
    assert drawn != modules_of_png(vietqr.render_png(other, scale=6), scale=6, border=4)


def test_the_svg_is_the_qr_of_the_exact_payload():
    content = vietqr.build_payload(VCB, "0011001234567", 150_000, "OCOP7K2Q9M")
    svg = vietqr.render_svg(content, scale=4, title="OCOP7K2Q9M")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("class") == "qr"
    symbol = segno.make(content, error="m", micro=False)
    side = (symbol.symbol_size(scale=1, border=4)[0]) * 4
    assert (root.get("width"), root.get("height")) == (str(side), str(side))
    assert root.find("{http://www.w3.org/2000/svg}title").text == "OCOP7K2Q9M"
    buffer = io.BytesIO()
    symbol.save(
        buffer,
        kind="svg",
        scale=4,
        border=4,
        xmldecl=False,
        svgns=True,
        title="OCOP7K2Q9M",
        svgclass="qr",
        lineclass=None,
    )
    assert svg == buffer.getvalue()
