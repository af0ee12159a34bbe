"""Outgoing e-mail, in the recipient's language: SMTP when configured, else the log and an outbox.

On a fresh machine (no MAIL_SERVER) every message is logged and written to
MAIL_OUTBOX_DIR as one readable .eml file, so a developer can open the password
reset link without a mail server. Callers must not hold a database transaction
open while calling send_mail(): SMTP is a network call (see STYLE.md).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import smtplib
import ssl
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound


def send_mail(
    to: str,
    subject: object,
    template: str,
    locale: str,
    /,
    *,
    message_id: str | None = None,
    **context: object,
) -> EmailMessage:
    """Render mail/<template>.txt (and .html if present) in `locale` and send it to `to`.

    `subject` should be a lazy string (lazy_gettext) so that it is translated into the
    recipient's language here, not into the language of whoever triggered the mail.
    `message_id`: the Message-ID to send under (the job outbox passes one made from its
    idempotency key, so a retried message keeps it); a fresh one if None.
    """
    config = current_app.config
    via_smtp = bool(config.get("MAIL_SERVER"))
    # Files stay readable as UTF-8 text; SMTP gets 7-bit-safe quoted-printable.
    message = build_message(
        to,
        subject,
        template,
        locale,
        context,
        cte="quoted-printable" if via_smtp else "8bit",
        message_id=message_id,
    )
    if via_smtp:
        _send_smtp(message)
    else:
        _write_outbox(message)
    return message


def build_message(
    to: str,
    subject: object,
    template: str,
    locale: str,
    context: dict[str, object],
    *,
    cte: str = "8bit",
    message_id: str | None = None,
) -> EmailMessage:
    """The message as it will be sent, rendered under `locale`."""
    with force_locale(locale):
        subject_text = str(subject)
        context = {**context, "subject": subject_text}
        text = render_template(f"mail/{template}.txt", **context)
        html = _render_optional(f"mail/{template}.html", context)

    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject_text
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id or make_msgid(domain=_domain_of(sender))
    # Tells auto-responders (holiday replies) not to answer.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, cte=cte)
    if html is not None:
        message.add_alternative(html, subtype="html", cte=cte)
    # After the parts exist: making a multipart moves every Content-* header into a part.
    message["Content-Language"] = locale
    return message


def _render_optional(template_name: str, context: dict[str, object]) -> str | None:
    try:
        template = current_app.jinja_env.get_template(template_name)
    except TemplateNotFound:
        return None
    return render_template(template, **context)


def stable_msgid(key: str) -> str:
    """A Message-ID made from `key` (the same key, the same Message-ID), at the sender's
    domain: a message sent again after a crash is the same message to the receiving side."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{_domain_of(current_app.config['MAIL_DEFAULT_SENDER'])}>"


def _domain_of(address: str) -> str:
    _, email = parseaddr(address)
    return email.rpartition("@")[2] or "localhost"


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(
        config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config.get("MAIL_TIMEOUT", 10)
    ) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
    current_app.logger.info("mail sent to %s: %s", message["To"], message["Subject"])


def _write_outbox(message: EmailMessage) -> Path:
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    # Timestamp first so `ls` lists messages in order; the random part keeps names unique.
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.eml"
    path = outbox / name
    data = message.as_bytes(policy=policy.SMTPUTF8)
    # Write then rename, so a reader never sees half a message.
    partial = outbox / f".{name}.part"
    partial.write_bytes(data)
    os.replace(partial, path)
    current_app.logger.info(
        "mail to %s written to %s (no MAIL_SERVER set)\n%s",
        message["To"],
        path,
        data.decode("utf-8", errors="replace"),
    )
    return path


def read_outbox(folder: str | os.PathLike[str]) -> list[EmailMessage]:
    """Messages in an outbox folder, oldest first (for tests and the developer's eyes)."""
    paths = sorted(Path(folder).glob("*.eml"))
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in paths]
