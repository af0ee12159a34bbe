"""The mail service: the recipient's language, an outbox on a fresh machine, SMTP if configured."""

from __future__ import annotations

import shutil
import smtplib
import socketserver
import threading
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from flask_babel import lazy_gettext as _l

from storefront.core.mail import read_outbox, send_mail

RESET_CONTEXT = {
    "name": "Nguyễn Thị Lan",
    "reset_url": "http://localhost/account/reset/abc",
    "expires_at": datetime(2026, 3, 5, 8, 30, tzinfo=UTC),  # 15:30 in Hà Nội
    "valid_minutes": 60,
}


@pytest.fixture
def outbox(app):
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_without_a_mail_server_each_message_is_one_readable_file(app, outbox, caplog):
    assert not app.config["MAIL_SERVER"]
    caplog.set_level("INFO")
    send_mail("lan@example.vn", _l("Log in"), "password_reset", "vi", **RESET_CONTEXT)
    send_mail("lan@example.vn", _l("Log in"), "password_reset", "vi", **RESET_CONTEXT)

    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 2 and files[0].name != files[1].name
    assert all(f.name[:8].isdigit() for f in files)  # named by time first
    text = files[0].read_text(encoding="utf-8")  # plain UTF-8, no base64 to decode
    assert "Nguyễn Thị Lan" in text
    assert "http://localhost/account/reset/abc" in text
    assert "Subject: Đăng nhập" in text  # subject in the recipient's language, unencoded
    assert "http://localhost/account/reset/abc" in caplog.text  # and in the log

    [first, _second] = read_outbox(outbox)
    assert first["To"] == "lan@example.vn"
    assert first["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert first["Message-ID"] and first["Date"]
    assert first["Content-Language"] == "vi"
    assert first["Auto-Submitted"] == "auto-generated"


def test_the_message_is_rendered_in_the_recipients_language(app, outbox):
    # The request is in Vietnamese; the recipient reads English.
    with app.test_request_context("/?lang=vi"):
        vi = send_mail("a@example.vn", _l("Log in"), "password_reset", "vi", **RESET_CONTEXT)
        en = send_mail("b@example.vn", _l("Log in"), "password_reset", "en", **RESET_CONTEXT)
        from flask_babel import get_locale

        assert str(get_locale()) == "vi"  # the page's own language is left alone

    assert vi["Subject"] == "Đăng nhập" and en["Subject"] == "Log in"
    assert "15:30 5/3/26" in vi.get_body(("plain",)).get_content()
    assert "3/5/26, 3:30" in en.get_body(("plain",)).get_content()
    assert en["Content-Language"] == "en"


def test_html_part_only_when_the_template_has_one(app, outbox):
    with_html = send_mail("a@example.vn", _l("Log in"), "password_reset", "vi", **RESET_CONTEXT)
    assert with_html.get_body(("html",)) is not None
    assert (
        'href="http://localhost/account/reset/abc"' in with_html.get_body(("html",)).get_content()
    )

    text_only = send_mail(
        "a@example.vn", _l("Log in"), "email_changed", "vi", name="Lan", new_email="new@example.vn"
    )
    assert text_only.get_body(("html",)) is None
    assert "new@example.vn" in text_only.get_body(("plain",)).get_content()


# --- SMTP ---------------------------------------------------------------------------------------


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept messages: a real socket, a real smtplib client."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 test ESMTP")
        data, lines = False, []
        while line := self.rfile.readline():
            if data:
                if line == b".\r\n":
                    self.server.received.append(b"".join(lines))
                    data, lines = False, []
                    self.reply("250 queued")
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            command = line[:4].upper()
            self.server.commands.append(command.decode())
            if command == b"EHLO":
                self.reply("250-test")
                self.reply("250 8BITMIME")
            elif command == b"DATA":
                data = True
                self.reply("354 go on")
            elif command == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.received, server.commands = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_config(app):
    saved = {
        k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USERNAME")
    }
    yield app.config
    app.config.update(saved)


def test_with_a_mail_server_it_sends_by_smtp_and_writes_no_file(
    app, outbox, smtp_server, smtp_config
):
    smtp_config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.server_address[1], MAIL_USE_TLS=False
    )
    send_mail("lan@example.vn", _l("Log in"), "password_reset", "vi", **RESET_CONTEXT)

    assert list(outbox.iterdir()) == []
    [raw] = smtp_server.received
    message = message_from_bytes(raw, policy=policy.default)
    assert message["To"] == "lan@example.vn"
    assert message["Subject"] == "Đăng nhập"  # RFC 2047-encoded on the wire, decoded here
    assert b"\xc4" not in raw.split(b"\r\n\r\n", 1)[0]  # headers are 7-bit
    assert "Nguyễn Thị Lan" in message.get_body(("plain",)).get_content()
    assert "STAR" not in smtp_server.commands  # no STARTTLS unless asked


def test_starttls_and_login_when_configured(app, outbox, smtp_config, monkeypatch):
    calls = []

    class RecordingSMTP:
        def __init__(self, host, port, timeout):
            calls.append(("connect", host, port, timeout))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            calls.append(("quit",))

        def starttls(self, context):
            calls.append(("starttls",))

        def login(self, user, password):
            calls.append(("login", user, password))

        def send_message(self, message):
            calls.append(("send", message["To"]))

    monkeypatch.setattr(smtplib, "SMTP", RecordingSMTP)
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", "s3cret")
    smtp_config.update(
        MAIL_SERVER="smtp.example.vn", MAIL_PORT=587, MAIL_USE_TLS=True, MAIL_USERNAME="shop"
    )
    send_mail("lan@example.vn", _l("Log in"), "password_reset", "vi", **RESET_CONTEXT)
    assert [c[0] for c in calls] == ["connect", "starttls", "login", "send", "quit"]
    assert calls[0][1:3] == ("smtp.example.vn", 587)
    assert calls[2] == ("login", "shop", "s3cret")
    assert list(outbox.iterdir()) == []
