"""`flask --app wsgi certificates remind`: expiry reminders, safe to run from cron every hour;
`certificates move-scans`: scans from their old place under UPLOAD_DIR to SCAN_DIR, once."""

from __future__ import annotations

import click
from flask.cli import AppGroup

certificates_cli = AppGroup("certificates", help="OCOP certificates.")


@certificates_cli.command("remind")
def remind() -> None:
    """E-mail cooperatives 60 and 30 days before a certificate expires (once each)."""
    from storefront.domain.certificates.reminders import send_expiry_reminders

    run = send_expiry_reminders()
    click.echo(f"reminders claimed: {len(run.claimed)}, sent: {run.sent}, failed: {run.failed}")
    if run.failed:
        # Failed sends were released and are retried by the next run; exit non-zero so
        # cron's mail or the job monitor notices.
        raise SystemExit(1)


@certificates_cli.command("move-scans")
def move_scans() -> None:
    """Move certificate scans stored under UPLOAD_DIR/certificates (before SCAN_DIR) to SCAN_DIR."""
    from storefront.core.files import move_legacy_scans

    click.echo(f"scans moved: {move_legacy_scans()}")
