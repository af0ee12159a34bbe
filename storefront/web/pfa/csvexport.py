"""CSV downloads that spreadsheets open safely: UTF-8 with a BOM (Excel then reads Vietnamese
right), RFC 4180 quoting, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from flask import Response

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# ("=HYPERLINK(...)", "@SUM(...)", "+1+cmd|..."); tab and carriage return can smuggle one in.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> object:
    """Text that would start a formula gets a leading apostrophe; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        text = str(value)
        if text.startswith(FORMULA_STARTS):
            return "'" + text
        return text
    return value


def csv_text(rows: Iterable[Iterable]) -> Iterator[str]:
    """The CSV, one chunk per row, BOM first."""
    yield "\ufeff"
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def csv_response(filename: str, rows: Iterable[Iterable]) -> Response:
    """A CSV attachment, built whole before the response starts.

    The rows may come from a query read in batches, but they are all read here: a query
    failing halfway then answers an error page, instead of a 200 whose file is silently cut
    off after the rows already sent (a streamed body cannot change its status).
    """
    return Response(
        "".join(csv_text(rows)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
