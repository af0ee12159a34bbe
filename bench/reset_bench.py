"""Password-reset request timing: an address with an account against one without.

    .venv/bin/python -m bench reset [--rounds 200]

Issue 11 measured 13.9 ms against 8.5 ms: the difference told which addresses have accounts.
A fresh SQLite database in a temporary folder, the production hash method, rate limits off,
mail to the outbox folder (no network); the two kinds of request alternate, each timed through
the app's test client, and the ratio of the medians is printed (1.0 is the aim; sending the
one real e-mail is the work left that differs: writing one .eml file here, SMTP in production).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from storefront import create_app
from storefront.extensions import db
from storefront.models import User

KNOWN = "lan@example.vn"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench reset", description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = create_app(
            {
                "CONFIG": "testing",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
                "SEARCH_INDEX_DIR": str(folder / "search"),
                "UPLOAD_DIR": str(folder / "uploads"),
                "SCAN_DIR": str(folder / "scans"),
                "MAIL_OUTBOX_DIR": str(folder / "outbox"),
                "PASSWORD_HASH_METHOD": "scrypt",
            }
        )
        with app.app_context():
            db.create_all()
            user = User(email=KNOWN, name="Lan", locale="vi")
            user.set_password("a long enough password")
            db.session.add(user)
            db.session.commit()
        client = app.test_client()
        times: dict[str, list[float]] = {"known": [], "unknown": []}
        for round_ in range(args.rounds + 10):
            for kind in ("known", "unknown") if round_ % 2 else ("unknown", "known"):
                email = KNOWN if kind == "known" else f"nobody{round_}@example.vn"
                start = time.perf_counter()
                response = client.post("/account/reset", data={"email": email})
                elapsed = time.perf_counter() - start
                assert response.status_code == 302, response.status_code
                if round_ >= 10:  # the first rounds warm caches up
                    times[kind].append(elapsed)
        known = statistics.median(times["known"]) * 1000
        unknown = statistics.median(times["unknown"]) * 1000
        print(
            f"reset requests, {args.rounds} of each (median): "
            f"known {known:.2f} ms, unknown {unknown:.2f} ms, "
            f"ratio known/unknown {known / unknown:.2f}"
        )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
