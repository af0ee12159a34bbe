"""Finding a payment code in what banks write as a transfer's content, and reading SePay's
notification body (core/transfer_codes.py, core/sepay.py): pure functions."""

from __future__ import annotations

import pytest

from storefront.core.sepay import InvalidNotification, authorised, parse_notification
from storefront.core.transfer_codes import candidate_codes, fold, near_codes
from storefront.core.vietqr import CODE_ALPHABET, new_payment_code

CODE = "OCOP7K2Q9M"

# As banks deliver the content of a transfer whose buyer typed (or scanned) "OCOP7K2Q9M".
BANK_CONTENTS = [
    # Vietcombank: its own prefix and reference glued with dots, "CT tu ..." after
    "MBVCB.3278907687.OCOP7K2Q9M.CT tu 0011004123456 NGUYEN THI LAN toi 0123456789",
    "MBVCB.3278907687.ocop7k2q9m.CT tu 0011004123456 NGUYEN THI LAN",
    "IBFT OCOP7K2Q9M",
    "OCOP7K2Q9M.CT tu 1023456789 TRAN VAN NAM",
    # MB Bank
    "OCOP7K2Q9M- Ma GD ACSP/ hq123456",
    "NGUYEN THI LAN chuyen tien OCOP7K2Q9M",
    "MB 0912345678 OCOP 7K2Q9M",
    "QR - OCOP7K2Q9M",
    # Techcombank
    "OCOP7K2Q9M FT23089123456789",
    "Thanh toan don hang OCOP 7K2 Q9M",
    "TKThe :19031234567012, tai TCB. OCOP7K2Q9M thanh toan",
    # ACB
    "ACB;0123456789;OCOP7K2Q9M",
    "NGUYEN THI LAN CHUYEN KHOAN OCOP7K2Q9M GD 123456-032523 14:02:37",
    # BIDV
    "REM Tfr Ac: 12345678901 O@L OCOP7K2Q9M",
    "TKThe :12345, tai BIDV. OCOP7K2Q9M -CTLNHIDO000001234567",
    # Agribank
    "OCOP-7K2Q-9M chuyen tien",
    "IBVCB.123456789012.OCOP7K2Q9M",
    # People: diacritics kept or dropped, case, separators, glued to other words
    "Chuyển tiền đơn hàng ocop7k2q9m",
    "Chuyen tien don hang OCOP7K2Q9M cam on",
    "OCOP7K2Q9Mthanh toan",
    "123456OCOP7K2Q9M",
    "O.C.O.P.7.K.2.Q.9.M",
    "ocop_7k2q9m",
    "Ocop 7k2q 9m",
    "thanh toán—OCOP·7K2Q9M",
    "OCOP7K2Q9M OCOP7K2Q9M",  # the code twice is one candidate
]


@pytest.mark.parametrize("content", BANK_CONTENTS)
def test_the_code_is_found_in_what_each_bank_writes(content):
    assert CODE in candidate_codes(content)
    assert candidate_codes(content)[0] == CODE


def test_the_sepay_code_field_comes_first():
    assert candidate_codes("OCOP7K2Q9M", "OCOPABCDEF chuyen tien") == [CODE, "OCOPABCDEF"]


def test_letters_crockford_reads_as_digits_are_read_as_digits():
    # No code holds O, I or L: a buyer typing O for 0 or l for 1 still names the order.
    assert candidate_codes("OCOPOA1B2C") == ["OCOP0A1B2C"]
    assert candidate_codes("ocop0alb2c") == ["OCOP0A1B2C"]
    assert candidate_codes("OCOP0AIB2C") == ["OCOP0A1B2C"]


@pytest.mark.parametrize(
    "content",
    [
        "",
        "chuyen tien mua hang",
        "OCOP7K2Q9",  # one symbol short
        "OCOP 7K2Q",
        "OCP7K2Q9M",  # prefix mangled
        "OCOP7K2QU9",  # U is not a code symbol
        "7K2Q9M",  # no prefix: never guessed
    ],
)
def test_no_code_is_made_up(content):
    assert CODE not in candidate_codes(content)


def test_a_different_code_is_a_different_candidate_never_a_near_miss():
    assert candidate_codes("OCOP7K2Q9N") == ["OCOP7K2Q9N"]


def test_fold_drops_diacritics_case_and_separators():
    assert fold("Đơn hàng ocop-7k2q.9m") == "DONHANGOCOP7K2Q9M"


def test_new_codes_are_found_in_any_content():
    for _ in range(200):
        code = new_payment_code()
        assert candidate_codes(f"MBVCB.1.{code.lower()}.CT tu A") == [code]
        spaced = " ".join(code[i : i + 2] for i in range(0, len(code), 2))
        assert candidate_codes(spaced) == [code]


def test_near_codes_cover_one_typing_slip():
    assert CODE in near_codes("OCOP7K2Q9N")  # one symbol changed
    assert CODE in near_codes("OCOPK72Q9M")  # neighbours swapped
    assert CODE in near_codes("OCOP7K2Q9 chuyen")  # one missing (the next word fills in)
    assert CODE in near_codes("OCOP7K2QQ9M")  # one too many
    assert CODE in near_codes("0COP7K2Q9N")  # the prefix's O typed as zero
    assert CODE not in near_codes("chuyen tien")
    assert all(c.startswith("OCOP") and len(c) == 10 for c in near_codes("OCOP7K2Q9M"))
    assert all(set(c[4:]) <= set(CODE_ALPHABET) for c in near_codes("OCOP7K2Q9M"))


# --- SePay's notification ---------------------------------------------------------------------


def body(**fields):
    base = {
        "id": 92704,
        "gateway": "Vietcombank",
        "transactionDate": "2023-03-25 14:02:37",
        "accountNumber": "0123499999",
        "code": None,
        "content": "chuyen tien mua iphone",
        "transferType": "in",
        "transferAmount": 2277000,
        "accumulated": 19077000,
        "subAccount": None,
        "referenceCode": "MBVCB.3278907687",
        "description": "",
    }
    base.update(fields)
    return base


def test_sepays_documented_example_parses():
    transfer = parse_notification(body())
    assert transfer.transaction_id == "92704"
    assert transfer.amount == 2277000 and transfer.transfer_type == "in"
    assert transfer.code == "" and transfer.reference_code == "MBVCB.3278907687"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("2277000", "JSON integer"),
        (2277000.0, "JSON integer"),
        (2277000.5, "JSON integer"),
        (True, "JSON integer"),
        (None, "JSON integer"),
        (-5000, "greater than zero"),
        (0, "greater than zero"),
        (10**15, "too large"),
    ],
)
def test_amounts_that_are_not_positive_whole_dong_are_refused(amount, message):
    with pytest.raises(InvalidNotification, match=message):
        parse_notification(body(transferAmount=amount))


@pytest.mark.parametrize(
    "field",
    [
        "id",
        "gateway",
        "transactionDate",
        "accountNumber",
        "content",
        "transferType",
        "transferAmount",
        "referenceCode",
    ],
)
def test_a_missing_field_is_named(field):
    fields = body()
    del fields[field]
    with pytest.raises(InvalidNotification, match=field):
        parse_notification(fields)


@pytest.mark.parametrize(
    "fields",
    [
        {"transferType": "IN"},
        {"transferType": "both"},
        {"content": 123},
        {"content": None},
        {"id": True},
        {"id": ""},
        {"id": [1]},
        {"code": 5},
        {"content": "x" * 2001},
        {"content": "OCOP7K2Q9M\x00"},
        {"gateway": "VCB\x00"},
        {"id": "9\x00"},
        {"id": -1},
    ],
)
def test_wrong_types_are_refused(fields):
    with pytest.raises(InvalidNotification):
        parse_notification(body(**fields))


@pytest.mark.parametrize("payload", [[], "text", 5, None])
def test_a_body_that_is_not_an_object_is_refused(payload):
    with pytest.raises(InvalidNotification, match="JSON object"):
        parse_notification(payload)


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ("Apikey s3cret", True),
        ("apikey s3cret", True),
        ("Apikey  s3cret ", True),
        ("Apikey s3cre", False),
        ("Apikey s3cret2", False),
        ("Bearer s3cret", False),
        ("s3cret", False),
        ("", False),
        (None, False),
    ],
)
def test_the_api_key_header(header, ok):
    assert authorised(header, "s3cret") is ok


def test_no_key_configured_authorises_nothing():
    assert authorised("Apikey ", "") is False
    assert authorised("Apikey x", "") is False
