"""Refuse control characters in a request's text before any view or query sees them.

PostgreSQL refuses NUL in text (the query fails: a 500); SQLite stores it. No form field, query
parameter or URL segment of this shop legitimately holds NUL or another C0 control character
(tab, line feed and carriage return excepted), so one hook answers 400 for all of them instead
of each form filtering its own fields. Uploaded files' contents are not text and are not checked.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _

from storefront.core.inputs import has_control_characters

# The bodies Werkzeug parses into request.form and request.files; any other body leaves both
# empty, so a GET (no body) need not build them to find nothing.
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _texts():
    yield request.path
    for key, values in request.args.lists():
        yield key
        yield from values
    if request.mimetype not in FORM_TYPES:
        return
    for key, values in request.form.lists():
        yield key
        yield from values
    for name, storage in request.files.items(multi=True):
        yield name
        yield storage.filename or ""


def _refuse_control_characters():
    if any(has_control_characters(text) for text in _texts()):
        message = _("The request contains a character that is not allowed (such as a NUL byte).")
        return render_template("errors/error.html", status=400, message=message), 400
    return None


def init_app(app: Flask) -> None:
    app.before_request(_refuse_control_characters)
