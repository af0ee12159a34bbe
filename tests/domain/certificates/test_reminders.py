"""Expiry reminders: 60 and 30 days before, once each, safe from an hourly cron (and from two
runs at once); a send that fails is retried by the next run."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.core.clock import today as shop_today
from storefront.domain.certificates.reminders import send_expiry_reminders
from storefront.extensions import db as _db
from storefront.models import CertificateReminder, CertificateStatus
from tests.fixtures.mail import mails


def _cert(make, days_left, *, locale="vi", status=CertificateStatus.VERIFIED, **kw):
    today = shop_today()
    coop = make.cooperative(email=f"htx{days_left}@example.vn", locale=locale)
    return make.certificate(
        coop,
        status=status,
        issued_on=today - timedelta(days=900),
        expires_on=today + timedelta(days=days_left),
        **kw,
    )


def _claims(db):
    db.session.expire_all()
    return sorted(
        (r.certificate_id, r.days_before, r.sent_at is not None)
        for r in db.session.scalars(select(CertificateReminder))
    )


def test_reminders_60_and_30_days_before_once_each(db, make, outbox):
    today = shop_today()
    cert = _cert(make, 60, product_name="Nhãn lồng Hưng Yên")
    _cert(make, 200)  # not yet
    _cert(make, 45, status=CertificateStatus.REVOKED)  # revoked: nothing to renew here

    run = send_expiry_reminders(today)
    assert (len(run.claimed), run.sent, run.failed) == (1, 1, 0)
    [message] = mails(outbox)
    assert message["To"] == "htx60@example.vn"
    assert "Nhãn lồng Hưng Yên" in message.get_content()
    assert cert.number in message["Subject"]

    # Hourly cron: the same day and the days after send nothing new ...
    for day in (0, 1, 15, 29):
        assert send_expiry_reminders(today + timedelta(days=day)).sent == 0
    # ... until 30 days before, once.
    assert send_expiry_reminders(today + timedelta(days=30)).sent == 1
    assert send_expiry_reminders(today + timedelta(days=30)).sent == 0
    assert send_expiry_reminders(today + timedelta(days=45)).sent == 0
    assert len(mails(outbox)) == 2
    assert _claims(db) == [(cert.id, 30, True), (cert.id, 60, True)]


def test_a_late_start_sends_only_the_reminder_that_still_matters(db, make, outbox):
    cert = _cert(make, 20)
    assert send_expiry_reminders().sent == 1
    assert _claims(db) == [(cert.id, 30, True)]
    assert send_expiry_reminders().sent == 0


def test_expired_certificates_get_no_reminder(db, make, outbox):
    _cert(make, -1)
    assert send_expiry_reminders().claimed == []


def test_reminder_in_the_cooperatives_language(db, make, outbox):
    cert = _cert(make, 30, locale="en")
    send_expiry_reminders()
    [message] = mails(outbox)
    assert message["Content-Language"] == "en"
    assert message["Subject"] == f"Your OCOP certificate {cert.number} expires in 30 days"


def test_a_failed_send_is_released_and_retried(db, make, outbox, monkeypatch):
    cert = _cert(make, 55)
    import storefront.core.mail

    real = storefront.core.mail.send_mail

    def down(*args, **kwargs):
        raise ConnectionError("SMTP down")

    monkeypatch.setattr(storefront.core.mail, "send_mail", down)
    run = send_expiry_reminders()
    assert (run.sent, run.failed) == (0, 1)
    assert _claims(db) == []  # released: the next run tries again

    monkeypatch.setattr(storefront.core.mail, "send_mail", real)
    assert send_expiry_reminders().sent == 1
    assert _claims(db) == [(cert.id, 60, True)]


def test_a_reminder_already_claimed_by_another_run_is_not_sent(db, make, outbox, monkeypatch):
    """The claim is what makes it at most once: a concurrent run that claimed first wins."""
    cert = _cert(make, 50)
    import storefront.domain.certificates.reminders as certificates

    real_due = certificates.due_reminders

    def due_then_other_run_claims(today):
        due = real_due(today)
        from sqlalchemy.orm import Session

        with Session(bind=_db.engine) as other:
            other.add(
                CertificateReminder(
                    certificate_id=cert.id, days_before=60, expires_on=cert.expires_on
                )
            )
            other.commit()
        return due

    monkeypatch.setattr(certificates, "due_reminders", due_then_other_run_claims)
    run = send_expiry_reminders()
    assert (run.claimed, run.sent) == ([], 0)
    assert mails(outbox) == []


def test_two_runs_at_once_send_each_reminder_once(app, db, make, outbox):
    certs = [_cert(make, days) for days in (10, 25, 40, 59)]
    barrier = threading.Barrier(2, timeout=20)
    results = []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                results.append(send_expiry_reminders())
            except Exception as error:  # noqa: BLE001 - reported below
                results.append(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(r.sent for r in results) == 4
    assert len(mails(outbox)) == 4
    assert len(_claims(db)) == len(certs)


def test_the_cli_command(runner, make, outbox):
    _cert(make, 30)
    result = runner.invoke(args=["certificates", "remind"])
    assert result.exit_code == 0, result.output
    assert "sent: 1" in result.output
    assert "sent: 0" in runner.invoke(args=["certificates", "remind"]).output


@pytest.mark.parametrize("days", [60, 30])
def test_the_reminder_links_to_the_seller_workspace_at_the_public_address(
    app, make, outbox, monkeypatch, days
):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "http://ocop.example.vn")
    _cert(make, days)
    with app.app_context():  # as in `flask certificates remind`: no request
        send_expiry_reminders()
    [message] = mails(outbox)
    assert f"{days}" in message["Subject"]
    assert "http://ocop.example.vn/seller/" in message.get_content()
