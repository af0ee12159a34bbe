"""domain/payments/vietqr: bank transfer is offered only when the collection account is set."""

from __future__ import annotations

import pytest
from vietnam_qr_pay import QRPay

from storefront.domain.payments.vietqr import (
    collection_account,
    transfer_payload,
    transfer_payments_enabled,
)

ACCOUNT = {
    "VIETQR_BANK_BIN": "970436",
    "VIETQR_ACCOUNT_NUMBER": "0011001234567",
    "VIETQR_ACCOUNT_NAME": "HOP TAC XA OCOP MARKET",
}


def test_off_by_default(app):
    with app.app_context():
        assert app.config["VIETQR_BANK_BIN"] == ""
        assert app.config["VIETQR_TRANSFER_HOLD_MINUTES"] == 30
        assert not transfer_payments_enabled()
        assert collection_account() is None


def test_on_when_all_three_are_set(app, monkeypatch):
    for key, value in ACCOUNT.items():
        monkeypatch.setitem(app.config, key, value)
    with app.app_context():
        assert transfer_payments_enabled()
        account = collection_account()
    assert account is not None
    assert account.bank is not None and account.bank.short_name == "Vietcombank"
    assert account.account_name == "HOP TAC XA OCOP MARKET"
    qr = QRPay(transfer_payload(account, 250_000, "OCOPABC123"))
    assert qr.is_valid
    assert (
        qr.consumer.bank_bin,
        qr.consumer.bank_number,
        qr.amount,
        qr.additional_data.purpose,
    ) == ("970436", "0011001234567", "250000", "OCOPABC123")


@pytest.mark.parametrize(
    "change",
    [
        {"VIETQR_BANK_BIN": ""},
        {"VIETQR_ACCOUNT_NUMBER": "  "},
        {"VIETQR_ACCOUNT_NAME": ""},
        {"VIETQR_BANK_BIN": "97043"},  # invalid: every QR would be unpayable
        {"VIETQR_ACCOUNT_NUMBER": "0011-0012"},
    ],
)
def test_off_when_one_is_missing_or_invalid(change):
    assert not transfer_payments_enabled({**ACCOUNT, **change})


def test_a_bin_the_list_does_not_name_still_works():
    account = collection_account({**ACCOUNT, "VIETQR_BANK_BIN": "970999"})
    assert account is not None and account.bank is None
