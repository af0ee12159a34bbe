"""Job arguments as JSON: plain values, plus dates and times tagged so they come back as such.

A lazy string (lazy_gettext) is translated when the job is written, in the locale then in
force: the caller renders it under the recipient's locale (see outbox.mail_later)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask_babel import LazyString


def dumps(value: Any) -> Any:
    """`value` as JSON-able data; TypeError for anything a job cannot carry."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return dumps(value.value)
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, LazyString):
        return str(value)
    if isinstance(value, list | tuple):
        return [dumps(item) for item in value]
    if isinstance(value, dict):
        return {str(key): dumps(item) for key, item in value.items()}
    raise TypeError(f"a job cannot carry {type(value).__name__}: {value!r}")


def loads(data: Any) -> Any:
    """The values dumps() wrote."""
    if isinstance(data, list):
        return [loads(item) for item in data]
    if isinstance(data, dict):
        if len(data) == 1:
            [(tag, text)] = data.items()
            if tag == "$datetime":
                return datetime.fromisoformat(text)
            if tag == "$date":
                return date.fromisoformat(text)
            if tag == "$decimal":
                return Decimal(text)
        return {key: loads(item) for key, item in data.items()}
    return data
