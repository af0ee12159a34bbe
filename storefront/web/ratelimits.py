"""Rate limits on POSTs whose numbers come from the config, so each deployment can tune them.

Only POSTs count: looking at a form costs nothing and guesses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app

from storefront.extensions import limiter


def post_limit(config_name: str, key_func: Callable[[], str], message, **options: Any):
    """flask-limiter's `limit` for POSTs, its rate read from `config_name` at request time."""
    return limiter.limit(
        lambda: current_app.config[config_name],
        key_func=key_func,
        methods=["POST"],
        error_message=message,
        **options,
    )
