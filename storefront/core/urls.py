"""Absolute URLs outside a request (e-mails, QR codes, cron jobs)."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from werkzeug.routing import BuildError


def external_url(endpoint: str, **values: Any) -> str | None:
    """An absolute URL (SERVER_NAME and PREFERRED_URL_SCHEME when set); None where none can be
    built, as in a cron job on a config without SERVER_NAME."""
    try:
        return url_for(
            endpoint,
            _external=True,
            _scheme=current_app.config.get("PREFERRED_URL_SCHEME") or "http",
            **values,
        )
    except (BuildError, RuntimeError):
        return None
